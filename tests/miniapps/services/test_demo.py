"""The demo loader's bundles and clerk: seeded from the demo citizens, again and again alike."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.services.conftest import BASE


class TestDemoSeed:
    async def test_two_bundles_and_a_clerk_of_their_departments(self, api: Api) -> None:
        from miniapps.services.demo import departments, seed

        clerk = await api.citizen(name="李四")
        context = {"citizens": ["someone-else", clerk.id]}
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, {})
        for code, steps in (("newborn", 3), ("small_shop", 3)):
            bundle = await api.client.get(f"{BASE}/bundles/{code}")
            assert bundle.status_code == 200, bundle.text
            assert len(bundle.json()["steps"]) == steps
        assert len(departments()) == 6
        queue = await api.client.get(f"{BASE}/desk/steps", headers=clerk.headers)
        assert queue.status_code == 200, queue.text

"""The demo loader's park: set up from the demo venues, again and again alike."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.park.conftest import BASE


class TestDemoSeed:
    async def test_the_demo_park_is_seeded_once_whatever_the_runs(self, api: Api) -> None:
        from miniapps.park.demo import seed

        gate = await api.gate("park")
        context = {"venues": {"park": gate.venue_id}}
        await in_app(api.client, seed, context)
        first = await api.client.get(f"{BASE}/park", headers=gate.headers)
        assert first.status_code == 200, first.text
        slots = await api.client.get(f"{BASE}/parks/{first.json()['id']}/slots")
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, {})
        again = await api.client.get(f"{BASE}/parks/{first.json()['id']}/slots")
        assert again.json() == slots.json()
        assert all(s["capacity"] == 500 for s in again.json())

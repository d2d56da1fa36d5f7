"""The demo loader's hospital: set up from the demo venues, again and again alike."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.medical.conftest import BASE


class TestDemoSeed:
    async def test_the_demo_hospital_is_seeded_once_whatever_the_runs(self, api: Api) -> None:
        from miniapps.medical.demo import DEMO_DEPARTMENTS, seed

        gate = await api.gate("hospital")
        context = {"venues": {"hospital": gate.venue_id}}
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, {})  # no demo venues: nothing to do
        profile = await api.client.get(f"{BASE}/hospital", headers=gate.headers)
        assert profile.status_code == 200, profile.text
        assert sorted(d["name"] for d in profile.json()["departments"]) == sorted(DEMO_DEPARTMENTS)

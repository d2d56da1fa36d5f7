"""The demo loader's hotel: set up from the demo venues, again and again alike."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.hotel.conftest import BASE


class TestDemoSeed:
    async def test_the_demo_hotel_is_seeded_once_whatever_the_runs(self, api: Api) -> None:
        from miniapps.hotel.demo import seed

        gate = await api.gate("hotel")
        context = {"venues": {"hotel": gate.venue_id}}
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, {})
        profile = await api.client.get(f"{BASE}/hotel", headers=gate.headers)
        assert profile.status_code == 200, profile.text
        assert [(t["rooms"], t["free"]) for t in profile.json()["room_types"]] == [
            (10, 10),
            (5, 5),
        ]

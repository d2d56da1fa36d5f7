"""The demo seed: a few homes to browse, seeded once however often it runs."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.rental.people import BASE


async def test_demo_homes_are_seeded_once(api: Api) -> None:
    from miniapps.rental.demo import DEMO_HOMES, demo_listing_id, seed

    for _ in range(2):
        await in_app(api.client, seed, {})
    for title, *_ in DEMO_HOMES:
        response = await api.client.get(f"{BASE}/listings/{demo_listing_id(title)}")
        assert response.status_code == 200, response.text
        assert (response.json()["title"], response.json()["status"]) == (title, "listed")

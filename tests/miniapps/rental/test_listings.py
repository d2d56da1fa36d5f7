"""Listings by real-name landlords, and the search by district, rent and rooms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, Citizen, problem
from tests.miniapps.rental.people import BASE, HOME, grant, list_home, new_region_prefix


async def search(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every page of a search."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await api.client.get(
            f"{BASE}/listings", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


class TestCreateListing:
    async def test_a_real_name_landlord_lists_a_home(self, api: Api, owner: Citizen) -> None:
        response = await api.client.post(f"{BASE}/listings", json=HOME, headers=owner.headers)
        assert response.status_code == 201, response.text
        body = response.json()
        assert {k: body[k] for k in HOME} == HOME
        assert body["status"] == "listed"
        assert body["landlord_name_masked"] == "王**"

    async def test_without_sharing_the_real_name(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "profile.basic")
        response = await api.client.post(f"{BASE}/listings", json=HOME, headers=citizen.headers)
        problem(response, 403, "scope_required")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"region_code": "3301"}, "region_code"),
            ({"region_code": "330106\n"}, "region_code"),
            ({"region_code": "33010\u0666"}, "region_code"),  # ARABIC-INDIC DIGIT SIX
            ({"rent_amount": 0}, "rent_amount"),
            ({"deposit_amount": -1}, "deposit_amount"),
            ({"rooms": 11}, "rooms"),
            ({"title": ""}, "title"),
            ({"area_m2": 1}, "area_m2"),
            ({"rent_amount": "三千五"}, "rent_amount"),
            ({"pets": True}, None),
        ],
    )
    async def test_bad_listings_are_refused(
        self, api: Api, owner: Citizen, change: dict[str, Any], field: str | None
    ) -> None:
        response = await api.client.post(
            f"{BASE}/listings", json={**HOME, **change}, headers=owner.headers
        )
        body = problem(response, 422, "validation_error")
        if field is not None:
            assert field in str(body.get("errors")) + body["detail"]
        mine = await api.client.get(f"{BASE}/landlord/listings", headers=owner.headers)
        assert mine.json()["items"] == []

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.post(f"{BASE}/listings", json=HOME), 401, "unauthorized")

    async def test_a_gate_is_not_a_landlord(self, api: Api) -> None:
        gate = await api.gate("hotel")
        response = await api.client.post(f"{BASE}/listings", json=HOME, headers=gate.headers)
        problem(response, 403, "forbidden")


class TestSearch:
    async def test_by_district_prefix(self, api: Api, owner: Citizen) -> None:
        prefix = new_region_prefix()
        near = await list_home(api, owner, region_code=prefix + "1")
        far = await list_home(api, owner, region_code=prefix + "2")
        assert {h["id"] for h in await search(api, district=prefix)} == {near["id"], far["id"]}
        assert [h["id"] for h in await search(api, district=prefix + "1")] == [near["id"]]

    async def test_by_rent_and_rooms_cheapest_first(self, api: Api, owner: Citizen) -> None:
        prefix = new_region_prefix()
        homes = [
            await list_home(api, owner, region_code=prefix + "0", rent_amount=rent, rooms=rooms)
            for rent, rooms in ((300_000, 1), (200_000, 2), (250_000, 2), (500_000, 2))
        ]
        found = await search(api, district=prefix, min_rent=200_000, max_rent=300_000)
        assert [h["rent_amount"] for h in found] == [200_000, 250_000, 300_000]
        two_rooms = await search(api, district=prefix, rooms=2, max_rent=400_000)
        assert [h["id"] for h in two_rooms] == [homes[1]["id"], homes[2]["id"]]

    async def test_page_by_page(self, api: Api, owner: Citizen) -> None:
        prefix = new_region_prefix()
        ids = {(await list_home(api, owner, region_code=prefix + "5"))["id"] for _ in range(5)}
        found = await search(api, district=prefix, limit=2)
        assert [h["id"] for h in found if h["id"] in ids] == [h["id"] for h in found]
        assert len(found) == len({h["id"] for h in found}) == 5

    async def test_a_let_home_is_not_found(self, api: Api) -> None:
        from tests.miniapps.rental.people import let_home

        prefix = new_region_prefix()
        _, _, lease = await let_home(api, region_code=prefix + "9")
        assert await search(api, district=prefix) == []
        one = await api.client.get(f"{BASE}/listings/{lease['listing_id']}")
        assert one.json()["status"] == "leased"

    @pytest.mark.parametrize(
        "params",
        [
            {"district": "3"},
            {"district": "33010a"},
            {"district": "3301061"},
            {"min_rent": -1},
            {"rooms": 0},
            {"min_rent": 300, "max_rent": 200},
            {"cursor": "bm9wZQ"},
            {"limit": 201},
        ],
    )
    async def test_bad_searches(self, api: Api, params: dict[str, Any]) -> None:
        response = await api.client.get(f"{BASE}/listings", params=params)
        problem(response, 422, "validation_error")


class TestOneListing:
    async def test_anyone_reads_a_home(self, api: Api, home: dict[str, Any]) -> None:
        response = await api.client.get(f"{BASE}/listings/{home['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == home

    async def test_an_unknown_home_is_404(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/listings/nope"), 404, "not_found")


class TestMyListings:
    async def test_the_landlords_homes(self, api: Api, owner: Citizen) -> None:
        homes = [await list_home(api, owner) for _ in range(3)]
        first = await api.client.get(f"{BASE}/landlord/listings?limit=2", headers=owner.headers)
        rest = await api.client.get(
            f"{BASE}/landlord/listings",
            params={"cursor": first.json()["next_cursor"]},
            headers=owner.headers,
        )
        listed = first.json()["items"] + rest.json()["items"]
        assert sorted(h["id"] for h in listed) == sorted(h["id"] for h in homes)

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/landlord/listings"), 401, "unauthorized")

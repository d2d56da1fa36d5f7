"""Viewing appointments: booked by a visitor, seen by both sides, cancelled by either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Api, Citizen, problem
from tests.miniapps.rental.people import BASE, book, grant, let_home, soon, tenant


def viewings_of(home: dict[str, Any]) -> str:
    return f"{BASE}/listings/{home['id']}/viewings"


async def viewings(api: Api, who: Citizen, role: str = "tenant") -> list[dict[str, Any]]:
    response = await api.client.get(f"{BASE}/viewings", params={"role": role}, headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestBookViewing:
    async def test_a_visitor_books_and_both_sides_see_it(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        at = soon(3)
        response = await api.client.post(viewings_of(home), json={"at": at}, headers=renter.headers)
        assert response.status_code == 201, response.text
        viewing = response.json()
        assert viewing["status"] == "booked"
        assert viewing["visitor_name_masked"] == "李**"
        assert datetime.fromisoformat(viewing["at"]) == datetime.fromisoformat(at)
        assert await viewings(api, renter) == [viewing]
        assert await viewings(api, owner, "landlord") == [viewing]
        assert await viewings(api, owner) == []

    async def test_one_booked_viewing_per_home(
        self, api: Api, home: dict[str, Any], renter: Citizen
    ) -> None:
        await book(api, renter, home)
        again = await api.client.post(
            viewings_of(home), json={"at": soon(4)}, headers=renter.headers
        )
        problem(again, 409, "viewing_exists")

    async def test_not_your_own_home(self, api: Api, owner: Citizen, home: dict[str, Any]) -> None:
        await grant(api, owner, "profile.basic")
        response = await api.client.post(
            viewings_of(home), json={"at": soon()}, headers=owner.headers
        )
        problem(response, 409, "own_listing")

    async def test_not_a_let_home(self, api: Api, renter: Citizen) -> None:
        _, _, lease = await let_home(api)
        response = await api.client.post(
            f"{BASE}/listings/{lease['listing_id']}/viewings",
            json={"at": soon()},
            headers=renter.headers,
        )
        problem(response, 409, "listing_unavailable")

    @pytest.mark.parametrize(
        "at",
        [
            (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            (datetime.now(UTC) + timedelta(days=61)).isoformat(),
            "2030-01-01T10:00:00",
            "明天下午",
        ],
    )
    async def test_bad_times(
        self, api: Api, home: dict[str, Any], renter: Citizen, at: str
    ) -> None:
        response = await api.client.post(viewings_of(home), json={"at": at}, headers=renter.headers)
        problem(response, 422, "validation_error")
        assert await viewings(api, renter) == []

    async def test_an_unknown_home_is_404(self, api: Api, renter: Citizen) -> None:
        response = await api.client.post(
            f"{BASE}/listings/nope/viewings", json={"at": soon()}, headers=renter.headers
        )
        problem(response, 404, "not_found")

    async def test_without_sharing_the_masked_name(self, api: Api, home: dict[str, Any]) -> None:
        visitor = await api.citizen()
        response = await api.client.post(
            viewings_of(home), json={"at": soon()}, headers=visitor.headers
        )
        problem(response, 403, "scope_required")

    async def test_refused_callers(self, api: Api, home: dict[str, Any]) -> None:
        problem(await api.client.post(viewings_of(home), json={"at": soon()}), 401, "unauthorized")
        gate = await api.gate("mall")
        response = await api.client.post(
            viewings_of(home), json={"at": soon()}, headers=gate.headers
        )
        problem(response, 403, "forbidden")


class TestListViewings:
    async def test_page_by_page_soonest_first(
        self, api: Api, owner: Citizen, renter: Citizen
    ) -> None:
        from tests.miniapps.rental.people import list_home

        homes = [await list_home(api, owner) for _ in range(3)]
        for days, home in zip((5, 3, 4), homes, strict=True):
            response = await api.client.post(
                viewings_of(home), json={"at": soon(days)}, headers=renter.headers
            )
            assert response.status_code == 201, response.text
        first = await api.client.get(f"{BASE}/viewings?limit=2", headers=renter.headers)
        rest = await api.client.get(
            f"{BASE}/viewings",
            params={"cursor": first.json()["next_cursor"]},
            headers=renter.headers,
        )
        order = [v["listing_id"] for v in first.json()["items"] + rest.json()["items"]]
        assert order == [homes[1]["id"], homes[2]["id"], homes[0]["id"]]

    async def test_bad_role_or_cursor(self, api: Api, renter: Citizen) -> None:
        response = await api.client.get(f"{BASE}/viewings?role=agent", headers=renter.headers)
        problem(response, 422, "validation_error")
        response = await api.client.get(
            f"{BASE}/viewings", params={"cursor": "WyJ4IiwgIjEiXQ"}, headers=renter.headers
        )
        problem(response, 422, "validation_error")

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/viewings"), 401, "unauthorized")


class TestCancelViewing:
    @pytest.mark.parametrize("by", ["visitor", "landlord"])
    async def test_either_side_cancels_and_the_visitor_may_rebook(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen, by: str
    ) -> None:
        viewing = await book(api, renter, home)
        who = renter if by == "visitor" else owner
        response = await api.client.post(
            f"{BASE}/viewings/{viewing['id']}/cancel", headers=who.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        again = await api.client.post(
            f"{BASE}/viewings/{viewing['id']}/cancel", headers=who.headers
        )
        problem(again, 409, "viewing_not_booked")
        assert (await book(api, renter, home))["id"] != viewing["id"]

    async def test_a_stranger_cannot_cancel(
        self, api: Api, home: dict[str, Any], renter: Citizen
    ) -> None:
        viewing = await book(api, renter, home)
        stranger = await tenant(api)
        response = await api.client.post(
            f"{BASE}/viewings/{viewing['id']}/cancel", headers=stranger.headers
        )
        problem(response, 404, "not_found")

    async def test_no_token(self, api: Api, home: dict[str, Any], renter: Citizen) -> None:
        viewing = await book(api, renter, home)
        response = await api.client.post(f"{BASE}/viewings/{viewing['id']}/cancel")
        problem(response, 401, "unauthorized")

"""The citizen's stays: what they parked, where, and what it cost (or costs so far)."""

from __future__ import annotations

from tests.helpers import Api, Citizen, Gate, problem
from tests.miniapps.parking.drivers import BASE, ParkingClock, keyed


class TestStays:
    async def test_newest_first_with_the_fee_so_far(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        for _ in range(2):
            entered = await api.client.post(
                f"{BASE}/gate/entries", json={"plate": plate}, headers=park.headers
            )
            assert entered.status_code == 201, entered.text
            clock.advance(hours=1)
            left = await api.client.post(
                f"{BASE}/gate/exits", json={"plate": plate}, headers=keyed(park.headers)
            )
            assert left.status_code == 200, left.text
            clock.advance(minutes=5)
        inside = await api.client.post(
            f"{BASE}/gate/entries", json={"plate": plate}, headers=park.headers
        )
        clock.advance(minutes=90)

        first = await api.client.get(f"{BASE}/stays?limit=2", headers=citizen.headers)
        assert first.status_code == 200, first.text
        page = first.json()
        assert [s["status"] for s in page["items"]] == ["parked", "exited"]
        assert page["items"][0]["id"] == inside.json()["id"]
        assert (page["items"][0]["minutes"], page["items"][0]["fee_amount"]) == (90, 1000)
        assert page["items"][1]["fee_amount"] == 500
        rest = await api.client.get(
            f"{BASE}/stays", params={"cursor": page["next_cursor"]}, headers=citizen.headers
        )
        assert [s["status"] for s in rest.json()["items"]] == ["exited"]
        assert rest.json()["next_cursor"] is None

    async def test_someone_elses_stays_are_not_listed(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        await api.client.post(f"{BASE}/gate/entries", json={"plate": plate}, headers=park.headers)
        other = await api.citizen()
        response = await api.client.get(f"{BASE}/stays", headers=other.headers)
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_a_forged_cursor_is_422(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.get(
            f"{BASE}/stays", params={"cursor": "WyJ4Il0"}, headers=citizen.headers
        )
        problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api, park: Gate) -> None:
        problem(await api.client.get(f"{BASE}/stays"), 401, "unauthorized")
        problem(await api.client.get(f"{BASE}/stays", headers=park.headers), 403, "forbidden")

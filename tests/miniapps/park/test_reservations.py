"""Reservations: a place in a time slot, never more places than the capacity."""

from __future__ import annotations

import uuid

from tests.app.portal import concurrently
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import device
from tests.miniapps.clock import StoppedClock
from tests.miniapps.park.conftest import BASE, Park, make_park, make_visitor, reserve, slot


class TestReserve:
    async def test_a_reservation_takes_a_place(
        self, api: Api, park: Park, visitor: Citizen
    ) -> None:
        booked = await reserve(api, visitor, park.slot_later)
        assert booked["status"] == "reserved" and booked["walk_in"] is False
        assert booked["slot"]["id"] == park.slot_later and booked["park_name"] == "西湖景区"
        assert (await slot(api, park, park.slot_later))["remaining"] == 9
        twice = await api.client.post(
            f"{BASE}/reservations", json={"slot_id": park.slot_later}, headers=visitor.headers
        )
        problem(twice, 409, "already_reserved")
        assert (await slot(api, park, park.slot_later))["remaining"] == 9

    async def test_a_full_slot_is_refused(self, api: Api) -> None:
        small = await make_park(api, capacity=1)
        await reserve(api, await api.citizen(), small.slot_now)
        late = await api.citizen()
        response = await api.client.post(
            f"{BASE}/reservations", json={"slot_id": small.slot_now}, headers=late.headers
        )
        problem(response, 409, "slot_full")

    async def test_bad_input(self, api: Api, visitor: Citizen) -> None:
        for body in ({"slot_id": str(uuid.uuid4())}, {"slot_id": ""}, {}):
            response = await api.client.post(
                f"{BASE}/reservations", json=body, headers=visitor.headers
            )
            problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api, park: Park) -> None:
        body = {"slot_id": park.slot_now}
        problem(await api.client.post(f"{BASE}/reservations", json=body), 401, "unauthorized")
        problem(
            await api.client.post(f"{BASE}/reservations", json=body, headers=park.gate.headers),
            403,
            "forbidden",
        )
        hotel = await device(api, "hotel")
        problem(
            await api.client.post(f"{BASE}/reservations", json=body, headers=hotel.headers),
            403,
            "forbidden",
        )
        assert (await slot(api, park, park.slot_now))["remaining"] == 10


class TestConcurrentReservations:
    async def test_capacity_holds_whatever_the_concurrency(self, api: Api) -> None:
        capacity, crowd = 5, 25
        small = await make_park(api, capacity=capacity)
        citizens = [await api.citizen() for _ in range(crowd)]
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": f"{BASE}/reservations",
                    "json": {"slot_id": small.slot_now},
                    "headers": c.headers,
                }
                for c in citizens
            ],
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * capacity + [409] * (crowd - capacity)
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_full"}
        now_slot = await slot(api, small, small.slot_now)
        assert (now_slot["reserved"], now_slot["remaining"]) == (capacity, 0)

    async def test_one_citizen_racing_themselves_gets_one_place(
        self, api: Api, park: Park, visitor: Citizen
    ) -> None:
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": f"{BASE}/reservations",
                    "json": {"slot_id": park.slot_now},
                    "headers": visitor.headers,
                }
                for _ in range(6)
            ],
        )
        assert sorted(r.status_code for r in responses) == [201] + [409] * 5
        assert (await slot(api, park, park.slot_now))["reserved"] == 1


class TestCancelReservation:
    async def test_cancelling_gives_the_place_back(
        self, api: Api, park: Park, visitor: Citizen
    ) -> None:
        booked = await reserve(api, visitor, park.slot_now)
        url = f"{BASE}/reservations/{booked['id']}/cancel"
        stranger = await api.citizen()
        problem(await api.client.post(url, headers=stranger.headers), 404, "not_found")
        problem(await api.client.post(url, headers=park.gate.headers), 403, "forbidden")
        cancelled = await api.client.post(url, headers=visitor.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert (await slot(api, park, park.slot_now))["remaining"] == 10
        problem(await api.client.post(url, headers=visitor.headers), 409, "reservation_not_open")
        # The place is free again, for them too.
        await reserve(api, visitor, park.slot_now)


class TestMyReservations:
    async def test_listed_newest_first_and_only_ones_own(
        self, api: Api, park: Park, park_time: StoppedClock
    ) -> None:
        visitor = await make_visitor(api)
        first = await reserve(api, visitor, park.slot_now)
        park_time.advance(seconds=1)
        second = await reserve(api, visitor, park.slot_later)
        await reserve(api, await api.citizen(), park.slot_now)
        page = await api.client.get(
            f"{BASE}/reservations", params={"limit": 1}, headers=visitor.headers
        )
        assert [r["id"] for r in page.json()["items"]] == [second["id"]]
        rest = await api.client.get(
            f"{BASE}/reservations",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=visitor.headers,
        )
        assert [r["id"] for r in rest.json()["items"]] == [first["id"]]
        assert rest.json()["next_cursor"] is None
        problem(await api.client.get(f"{BASE}/reservations"), 401, "unauthorized")

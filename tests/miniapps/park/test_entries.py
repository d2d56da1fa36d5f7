"""The 20-second entry: colour, a place now, the ticket on credit, the entry recorded."""

from __future__ import annotations

from typing import Any

from tests.app.portal import concurrently
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import device, fresh_code, keyed, wallet
from tests.miniapps.clock import StoppedClock
from tests.miniapps.park.conftest import (
    BASE,
    Park,
    add_slot,
    make_park,
    make_visitor,
    reserve,
    slot,
)


async def enter(api: Api, park: Park, visitor: Citizen) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/entries",
        json={"code": await fresh_code(api, visitor)},
        headers=keyed(park.gate.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestEnter:
    async def test_a_reservation_for_now_admits_and_the_ticket_goes_on_credit(
        self, api: Api, park: Park, visitor: Citizen
    ) -> None:
        booked = await reserve(api, visitor, park.slot_now)
        entry = await enter(api, park, visitor)
        assert entry["reservation_id"] == booked["id"] and entry["walk_in"] is False
        assert (entry["colour"], entry["amount"]) == ("green", park.ticket)
        assert entry["charge_id"]
        assert (await wallet(api, visitor))["outstanding"] == park.ticket
        mine = await api.client.get(f"{BASE}/reservations", headers=visitor.headers)
        assert mine.json()["items"][0]["status"] == "entered"
        assert (await slot(api, park, park.slot_now))["reserved"] == 1

    async def test_a_walk_in_takes_a_place_left_now(
        self, api: Api, park: Park, visitor: Citizen
    ) -> None:
        await reserve(api, visitor, park.slot_later)  # a later booking does not count now
        entry = await enter(api, park, visitor)
        assert entry["walk_in"] is True
        assert entry["slot"]["id"] == park.slot_now
        assert (await slot(api, park, park.slot_now))["reserved"] == 1
        assert (await slot(api, park, park.slot_later))["reserved"] == 1

    async def test_a_free_park_charges_nothing(self, api: Api, visitor: Citizen) -> None:
        free = await make_park(api, ticket=0)
        entry = await enter(api, free, visitor)
        assert (entry["amount"], entry["charge_id"]) == (0, None)
        assert (await wallet(api, visitor))["outstanding"] == 0

    async def test_once_per_slot(self, api: Api, park: Park, visitor: Citizen) -> None:
        await enter(api, park, visitor)
        again = await api.client.post(
            f"{BASE}/entries",
            json={"code": await fresh_code(api, visitor)},
            headers=keyed(park.gate.headers),
        )
        problem(again, 409, "already_entered")
        assert (await wallet(api, visitor))["outstanding"] == park.ticket
        assert (await slot(api, park, park.slot_now))["reserved"] == 1

    async def test_a_turnstile_retry_replays(self, api: Api, park: Park, visitor: Citizen) -> None:
        headers = keyed(park.gate.headers)
        body = {"code": await fresh_code(api, visitor)}
        first = await api.client.post(f"{BASE}/entries", json=body, headers=headers)
        again = await api.client.post(f"{BASE}/entries", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        assert (await wallet(api, visitor))["outstanding"] == park.ticket

    async def test_not_green_is_refused_and_nothing_taken(self, api: Api, park: Park) -> None:
        for colour in ("yellow", "red"):
            visitor = await make_visitor(api, colour)
            await reserve(api, visitor, park.slot_now)
            response = await api.client.post(
                f"{BASE}/entries",
                json={"code": await fresh_code(api, visitor)},
                headers=keyed(park.gate.headers),
            )
            problem(response, 403, "colour_not_green")
            assert (await wallet(api, visitor))["outstanding"] == 0
            mine = await api.client.get(f"{BASE}/reservations", headers=visitor.headers)
            assert mine.json()["items"][0]["status"] == "reserved"

    async def test_full_or_closed_parks_refuse_walk_ins(self, api: Api) -> None:
        full = await make_park(api, capacity=1)
        await enter(api, full, await make_visitor(api))
        late = await make_visitor(api)
        response = await api.client.post(
            f"{BASE}/entries",
            json={"code": await fresh_code(api, late)},
            headers=keyed(full.gate.headers),
        )
        problem(response, 409, "slot_full")
        closed_gate = await device(api, "park")
        saved = await api.client.put(
            f"{BASE}/park", json={"name": "夜园", "ticket": 100}, headers=closed_gate.headers
        )
        assert saved.status_code == 200
        await add_slot(api, closed_gate, 240, 300, 10)
        shut = await api.client.post(
            f"{BASE}/entries",
            json={"code": await fresh_code(api, late)},
            headers=keyed(closed_gate.headers),
        )
        problem(shut, 409, "no_slot_now")
        assert (await wallet(api, late))["outstanding"] == 0

    async def test_no_credit_no_entry(self, api: Api) -> None:
        from tests.journeys.actors import set_credit_limit

        pricey = await make_park(api, ticket=50_000)
        visitor = await make_visitor(api)
        await set_credit_limit(api, visitor, 10_000)
        response = await api.client.post(
            f"{BASE}/entries",
            json={"code": await fresh_code(api, visitor)},
            headers=keyed(pricey.gate.headers),
        )
        problem(response, 402, "credit_limit_exceeded")
        assert (await slot(api, pricey, pricey.slot_now))["reserved"] == 0

    async def test_bad_input(self, api: Api, park: Park) -> None:
        for body, code in (
            ({"code": "CB1:nope"}, "code_invalid"),
            ({"code": ""}, "validation_error"),
            ({}, "validation_error"),
        ):
            response = await api.client.post(
                f"{BASE}/entries", json=body, headers=keyed(park.gate.headers)
            )
            problem(response, 422, code)
        no_key = await api.client.post(
            f"{BASE}/entries", json={"code": "CB1:nope"}, headers=park.gate.headers
        )
        problem(no_key, 422, "idempotency_key_required")

    async def test_refused_callers(self, api: Api, park: Park, visitor: Citizen) -> None:
        body = {"code": await fresh_code(api, visitor)}
        problem(
            await api.client.post(f"{BASE}/entries", json=body, headers=keyed(visitor.headers)),
            403,
            "forbidden",
        )
        metro = await device(api, "metro")
        problem(
            await api.client.post(f"{BASE}/entries", json=body, headers=keyed(metro.headers)),
            403,
            "forbidden",
        )
        problem(
            await api.client.post(f"{BASE}/entries", json=body, headers=keyed({})),
            401,
            "unauthorized",
        )
        unset = await device(api, "park")
        problem(
            await api.client.post(f"{BASE}/entries", json=body, headers=keyed(unset.headers)),
            404,
            "park_not_set_up",
        )
        assert (await wallet(api, visitor))["outstanding"] == 0


class TestConcurrentEntries:
    async def test_walk_ins_never_exceed_the_capacity(self, api: Api) -> None:
        capacity, crowd = 4, 12
        small = await make_park(api, ticket=1_000, capacity=capacity)
        visitors = [await make_visitor(api) for _ in range(crowd)]
        codes = [await fresh_code(api, v) for v in visitors]
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": f"{BASE}/entries",
                    "json": {"code": code},
                    "headers": keyed(small.gate.headers),
                }
                for code in codes
            ],
        )
        assert sorted(r.status_code for r in responses) == [201] * capacity + [409] * (
            crowd - capacity
        )
        assert (await slot(api, small, small.slot_now))["reserved"] == capacity
        owed = sorted([(await wallet(api, v))["outstanding"] for v in visitors])
        assert owed == [0] * (crowd - capacity) + [1_000] * capacity


class TestEntryLog:
    async def test_the_turnstile_reads_the_entries(
        self, api: Api, park: Park, visitor: Citizen, park_time: StoppedClock
    ) -> None:
        entry = await enter(api, park, visitor)
        other = await make_visitor(api)
        park_time.advance(seconds=1)
        second = await enter(api, park, other)
        page = await api.client.get(
            f"{BASE}/park/entries", params={"limit": 1}, headers=park.gate.headers
        )
        assert page.status_code == 200, page.text
        assert [e["id"] for e in page.json()["items"]] == [second["id"]]
        rest = await api.client.get(
            f"{BASE}/park/entries",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=park.gate.headers,
        )
        assert [e["id"] for e in rest.json()["items"]] == [entry["id"]]
        problem(
            await api.client.get(f"{BASE}/park/entries", headers=visitor.headers), 403, "forbidden"
        )

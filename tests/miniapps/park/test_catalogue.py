"""Parks and time slots: kept by the park's turnstiles, listed for everyone."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.clocks import local_time
from tests.helpers import Api, problem
from tests.journeys.actors import device
from tests.miniapps.clock import StoppedClock
from tests.miniapps.park.conftest import BASE, Park, add_slot, at, make_park


class TestSavePark:
    async def test_a_turnstile_sets_up_and_updates_its_park(self, api: Api) -> None:
        gate = await device(api, "park")
        first = await api.client.put(
            f"{BASE}/park", json={"name": "灵隐寺", "ticket": 0}, headers=gate.headers
        )
        assert first.status_code == 200, first.text
        again = await api.client.put(
            f"{BASE}/park", json={"name": "灵隐寺", "ticket": 4_500}, headers=gate.headers
        )
        assert again.json() == {"id": first.json()["id"], "name": "灵隐寺", "ticket": 4_500}
        profile = await api.client.get(f"{BASE}/park", headers=gate.headers)
        assert profile.json() == again.json()

    async def test_bad_input_is_refused(self, api: Api) -> None:
        gate = await device(api, "park")
        for body in ({"name": "", "ticket": 0}, {"name": "园", "ticket": -1}, {"name": "园"}):
            problem(
                await api.client.put(f"{BASE}/park", json=body, headers=gate.headers),
                422,
                "validation_error",
            )
        problem(await api.client.get(f"{BASE}/park", headers=gate.headers), 404, "park_not_set_up")

    async def test_only_a_parks_turnstile_may(self, api: Api) -> None:
        body = {"name": "园", "ticket": 0}
        citizen = await api.citizen()
        hospital = await device(api, "hospital")
        problem(await api.client.put(f"{BASE}/park", json=body), 401, "unauthorized")
        problem(
            await api.client.put(f"{BASE}/park", json=body, headers=citizen.headers),
            403,
            "forbidden",
        )
        problem(
            await api.client.put(f"{BASE}/park", json=body, headers=hospital.headers),
            403,
            "forbidden",
        )


class TestAddSlot:
    async def test_slots_are_unique_by_start(self, api: Api, park: Park) -> None:
        slot = await add_slot(api, park.gate, 600, 720, 50)
        assert (slot["capacity"], slot["reserved"], slot["remaining"]) == (50, 0, 50)
        twice = await api.client.post(
            f"{BASE}/park/slots",
            json={"starts_at": at(600), "ends_at": at(660), "capacity": 5},
            headers=park.gate.headers,
        )
        problem(twice, 409, "conflict")

    async def test_bad_slots_are_refused(self, api: Api, park: Park) -> None:
        naive = at(60).replace("+00:00", "")
        for body in (
            {"starts_at": at(60), "ends_at": at(30), "capacity": 5},
            {"starts_at": at(60), "ends_at": at(60 + 25 * 60), "capacity": 5},
            {"starts_at": at(-120), "ends_at": at(-60), "capacity": 5},
            {"starts_at": naive, "ends_at": at(120), "capacity": 5},
            {"starts_at": at(60), "ends_at": at(120), "capacity": 0},
            {"starts_at": "tomorrow", "ends_at": at(120), "capacity": 5},
        ):
            response = await api.client.post(
                f"{BASE}/park/slots", json=body, headers=park.gate.headers
            )
            problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api) -> None:
        body = {"starts_at": at(60), "ends_at": at(120), "capacity": 5}
        citizen = await api.citizen()
        problem(
            await api.client.post(f"{BASE}/park/slots", json=body, headers=citizen.headers),
            403,
            "forbidden",
        )
        unset = await device(api, "park")
        problem(
            await api.client.post(f"{BASE}/park/slots", json=body, headers=unset.headers),
            404,
            "park_not_set_up",
        )


class TestListParks:
    async def test_anyone_lists_parks(self, api: Api) -> None:
        await make_park(api)
        await make_park(api, ticket=0)
        page = await api.client.get(f"{BASE}/parks", params={"limit": 1})
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
        problem(
            await api.client.get(f"{BASE}/parks", params={"limit": "x"}), 422, "validation_error"
        )


class TestSlots:
    async def test_todays_slots_with_places_left(self, api: Api, park: Park) -> None:
        response = await api.client.get(f"{BASE}/parks/{park.id}/slots")
        assert response.status_code == 200, response.text
        ids = [s["id"] for s in response.json()]
        assert park.slot_now in ids
        assert all(s["remaining"] == 10 for s in response.json())

    async def test_unknown_parks_and_bad_days(self, api: Api, park: Park) -> None:
        problem(await api.client.get(f"{BASE}/parks/{uuid.uuid4()}/slots"), 404, "not_found")
        problem(
            await api.client.get(f"{BASE}/parks/{park.id}/slots", params={"day": "2026-13-01"}),
            422,
            "validation_error",
        )
        empty = await api.client.get(f"{BASE}/parks/{park.id}/slots", params={"day": "2020-01-01"})
        assert empty.json() == []


class TestSlotsAcrossLocalMidnight:
    """ "Today" is the Hangzhou day: a slot at 00:00 belongs to the day it starts, whatever
    offset the turnstile wrote its time with."""

    async def test_the_last_second_and_the_first_of_a_day(
        self, api: Api, park: Park, park_time: StoppedClock
    ) -> None:
        new_year = date(2027, 1, 1)
        park_time.now = local_time(new_year - timedelta(days=1), 23, 0)
        late = await add_slot_at(api, park, local_time(new_year - timedelta(days=1), 23, 30))
        midnight = await add_slot_at(api, park, local_time(new_year, 0, 0))

        park_time.now = local_time(new_year - timedelta(days=1), 23, 59, 59)
        assert await listed(api, park) == {late["id"]}
        park_time.now = local_time(new_year, 0, 0, 0)
        assert await listed(api, park) == {midnight["id"]}
        assert await listed(api, park, day="2026-12-31") == {late["id"]}

    async def test_a_time_written_with_another_offset_lands_on_its_hangzhou_day(
        self, api: Api, park: Park, park_time: StoppedClock
    ) -> None:
        park_time.now = local_time(date(2027, 3, 1), 8, 0)
        # 17:30 on 28 February in Los Angeles is 09:30 on 1 March in Hangzhou.
        los_angeles = datetime(2027, 2, 28, 17, 30, tzinfo=timezone(timedelta(hours=-8)))
        slot = await add_slot_at(api, park, los_angeles)
        assert slot["id"] in await listed(api, park, day="2027-03-01")
        assert slot["id"] not in await listed(api, park, day="2027-02-28")


async def add_slot_at(api: Api, park: Park, starts_at: datetime) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/park/slots",
        json={
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(minutes=30)).isoformat(),
            "capacity": 5,
        },
        headers=park.gate.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(api: Api, park: Park, day: str | None = None) -> set[str]:
    """The ids of the park's slots on `day` (today by default), other than the fixture's."""
    params = {"day": day} if day else {}
    response = await api.client.get(f"{BASE}/parks/{park.id}/slots", params=params)
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()} - {park.slot_now, park.slot_later}

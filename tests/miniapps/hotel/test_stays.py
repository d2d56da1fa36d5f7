"""During and after the stay: extras, check-out, the citizen's stays."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.clocks import local_time
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import keyed, wallet
from tests.miniapps.clock import stopped_time
from tests.miniapps.hotel.conftest import BASE, Hotel, check_in, make_guest, make_hotel


async def add_extra(api: Api, hotel: Hotel, stay_id: str, amount: int) -> dict[str, object]:
    response = await api.client.post(
        f"{BASE}/stays/{stay_id}/extras",
        json={"item": "迷你吧", "amount": amount},
        headers=keyed(hotel.desk.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


class TestExtras:
    async def test_extras_stay_within_the_incidentals(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest)
        await add_extra(api, hotel, stay["id"], hotel.incidentals - 1)
        over = await api.client.post(
            f"{BASE}/stays/{stay['id']}/extras",
            json={"item": "洗衣", "amount": 2},
            headers=keyed(hotel.desk.headers),
        )
        problem(over, 409, "exceeds_incidentals")
        mine = await api.client.get(f"{BASE}/stays/{stay['id']}", headers=guest.headers)
        assert [e["amount"] for e in mine.json()["extras"]] == [hotel.incidentals - 1]

    async def test_bad_input_and_refused_callers(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest)
        url = f"{BASE}/stays/{stay['id']}/extras"
        for body in ({"item": "", "amount": 1}, {"item": "水", "amount": 0}, {"item": "水"}):
            response = await api.client.post(url, json=body, headers=keyed(hotel.desk.headers))
            problem(response, 422, "validation_error")
        body = {"item": "水", "amount": 100}
        problem(
            await api.client.post(url, json=body, headers=hotel.desk.headers),
            422,
            "idempotency_key_required",
        )
        problem(
            await api.client.post(url, json=body, headers=keyed(guest.headers)), 403, "forbidden"
        )
        other = await make_hotel(api, rooms=0)
        problem(
            await api.client.post(url, json=body, headers=keyed(other.desk.headers)),
            404,
            "not_found",
        )
        problem(
            await api.client.post(
                f"{BASE}/stays/{uuid.uuid4()}/extras", json=body, headers=keyed(hotel.desk.headers)
            ),
            404,
            "not_found",
        )


class TestCheckOut:
    async def test_check_out_captures_the_nights_and_extras(
        self, api: Api, hotel: Hotel, guest: Citizen, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from miniapps.hotel import stays
        from miniapps.sdk import now

        stay = await check_in(api, hotel, guest, nights=3)
        await add_extra(api, hotel, stay["id"], 2_500)
        later = now() + timedelta(days=2)
        monkeypatch.setattr(stays, "now", lambda: later)  # two nights later
        out = await api.client.post(
            f"{BASE}/stays/{stay['id']}/check-out", headers=keyed(hotel.desk.headers)
        )
        assert out.status_code == 200, out.text
        body = out.json()
        assert body["status"] == "checked_out" and body["checked_out_at"]
        assert body["captured"] == hotel.rate * 2 + 2_500
        assert body["released"] == stay["hold_amount"] - body["captured"]
        mine = await wallet(api, guest)
        assert (mine["held"], mine["outstanding"]) == (0, body["captured"])
        rooms = await api.client.get(f"{BASE}/hotel/rooms", headers=hotel.desk.headers)
        assert all(room["stay_id"] is None for room in rooms.json()["items"])
        register = await api.client.get(f"{BASE}/hotel/register", headers=hotel.desk.headers)
        assert register.json()["items"][0]["checked_out_at"]

    async def test_a_same_day_check_out_pays_one_night(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest, nights=2)
        out = await api.client.post(
            f"{BASE}/stays/{stay['id']}/check-out", headers=keyed(hotel.desk.headers)
        )
        assert out.json()["captured"] == hotel.rate
        # The room is free again and the guest may check in anew.
        again = await check_in(api, hotel, guest, nights=1)
        assert again["room_number"] == "801"

    async def test_once_whatever_the_retries(self, api: Api, hotel: Hotel, guest: Citizen) -> None:
        stay = await check_in(api, hotel, guest)
        url = f"{BASE}/stays/{stay['id']}/check-out"
        headers = keyed(hotel.desk.headers)
        first = await api.client.post(url, headers=headers)
        replay = await api.client.post(url, headers=headers)
        assert replay.json() == first.json()
        problem(await api.client.post(url, headers=keyed(hotel.desk.headers)), 409, "stay_not_open")
        extra = await api.client.post(
            f"{BASE}/stays/{stay['id']}/extras",
            json={"item": "水", "amount": 1},
            headers=keyed(hotel.desk.headers),
        )
        problem(extra, 409, "stay_not_open")
        assert (await wallet(api, guest))["outstanding"] == hotel.rate

    async def test_refused_callers(self, api: Api, hotel: Hotel, guest: Citizen) -> None:
        stay = await check_in(api, hotel, guest)
        url = f"{BASE}/stays/{stay['id']}/check-out"
        problem(await api.client.post(url, headers=keyed(guest.headers)), 403, "forbidden")
        problem(await api.client.post(url, headers=keyed({})), 401, "unauthorized")
        other = await make_hotel(api, rooms=0)
        problem(await api.client.post(url, headers=keyed(other.desk.headers)), 404, "not_found")
        problem(
            await api.client.post(url, headers=hotel.desk.headers), 422, "idempotency_key_required"
        )
        assert (await wallet(api, guest))["outstanding"] == 0


class TestMyStays:
    async def test_a_citizen_sees_their_own_stays(self, api: Api, hotel: Hotel) -> None:
        guest = await make_guest(api)
        first = await check_in(api, hotel, guest)
        other = await make_hotel(api)
        second = await check_in(api, other, guest)
        await check_in(api, hotel, await make_guest(api))
        page = await api.client.get(f"{BASE}/stays", params={"limit": 1}, headers=guest.headers)
        assert [s["id"] for s in page.json()["items"]] == [second["id"]]
        rest = await api.client.get(
            f"{BASE}/stays",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=guest.headers,
        )
        assert [s["id"] for s in rest.json()["items"]] == [first["id"]]
        assert rest.json()["next_cursor"] is None

    async def test_a_stay_is_seen_by_its_guest_and_its_hotel_only(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest)
        url = f"{BASE}/stays/{stay['id']}"
        assert (await api.client.get(url, headers=guest.headers)).json()["id"] == stay["id"]
        assert (await api.client.get(url, headers=hotel.desk.headers)).status_code == 200
        stranger = await api.citizen()
        problem(await api.client.get(url, headers=stranger.headers), 404, "not_found")
        other = await make_hotel(api, rooms=0)
        problem(await api.client.get(url, headers=other.desk.headers), 404, "not_found")
        problem(await api.client.get(url), 401, "unauthorized")
        problem(await api.client.get(f"{BASE}/stays"), 401, "unauthorized")


class TestNightsAcrossLocalMidnight:
    """A night is a Hangzhou calendar day changing, also at a year's end."""

    @pytest.mark.parametrize(
        ("checked_in", "checked_out", "nights"),
        [
            ((2026, 12, 31, 23, 59), (2027, 1, 1, 0, 1), 1),
            ((2026, 12, 30, 23, 59), (2027, 1, 1, 0, 1), 2),
            ((2027, 1, 1, 0, 0), (2027, 1, 1, 23, 59), 1),
            ((2027, 2, 28, 22, 0), (2027, 3, 2, 11, 0), 2),
        ],
        ids=["one_minute_over_new_year", "two_days_by_a_minute", "a_whole_day", "short_month"],
    )
    async def test_nights_charged(
        self,
        api: Api,
        hotel: Hotel,
        guest: Citizen,
        checked_in: tuple[int, ...],
        checked_out: tuple[int, ...],
        nights: int,
    ) -> None:
        day_in, day_out = date(*checked_in[:3]), date(*checked_out[:3])
        with stopped_time(local_time(day_in, *checked_in[3:])) as clock:
            stay = await check_in(api, hotel, guest, nights=3)
            clock.now = local_time(day_out, *checked_out[3:])
            out = await api.client.post(
                f"{BASE}/stays/{stay['id']}/check-out", headers=keyed(hotel.desk.headers)
            )
        assert out.status_code == 200, out.text
        assert out.json()["captured"] == hotel.rate * nights

"""Bookings from the app: held until arrival, cancelled or marked no-show (voided)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import grant, keyed, wallet
from tests.miniapps.hotel.conftest import BASE, Hotel, make_hotel


def today() -> date:
    from miniapps.sdk import local_today

    return local_today()


async def book(
    api: Api, hotel: Hotel, guest: Citizen, nights: int = 1, arrival: date | None = None
) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/reservations",
        json={
            "hotel_id": hotel.id,
            "room_type_id": hotel.room_type_id,
            "arrival": (arrival or today()).isoformat(),
            "nights": nights,
        },
        headers=keyed(guest.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def booker(api: Api) -> Citizen:
    guest = await api.citizen()
    await grant(api, guest, "hotel", "wallet.charge")
    return guest


class TestReserve:
    async def test_a_booking_holds_the_stay(self, api: Api, hotel: Hotel) -> None:
        guest = await booker(api)
        booking = await book(api, hotel, guest, nights=2, arrival=today() + timedelta(days=7))
        assert booking["status"] == "reserved"
        assert booking["amount"] == hotel.rate * 2 + hotel.incidentals
        assert (await wallet(api, guest))["held"] == booking["amount"]
        twice = await api.client.post(
            f"{BASE}/reservations",
            json={
                "hotel_id": hotel.id,
                "room_type_id": hotel.room_type_id,
                "arrival": booking["arrival"],
                "nights": 1,
            },
            headers=keyed(guest.headers),
        )
        problem(twice, 409, "reservation_exists")

    async def test_bad_input_holds_nothing(self, api: Api, hotel: Hotel) -> None:
        guest = await booker(api)
        other = await make_hotel(api, rooms=0)
        good = {"hotel_id": hotel.id, "room_type_id": hotel.room_type_id, "nights": 1}
        for body in (
            {**good, "arrival": (today() - timedelta(days=1)).isoformat()},
            {**good, "arrival": (today() + timedelta(days=181)).isoformat()},
            {**good, "arrival": "2026-02-30"},
            {**good, "arrival": today().isoformat(), "nights": 0},
            {**good, "arrival": today().isoformat(), "room_type_id": other.room_type_id},
        ):
            response = await api.client.post(
                f"{BASE}/reservations", json=body, headers=keyed(guest.headers)
            )
            problem(response, 422, "validation_error")
        assert (await wallet(api, guest))["held"] == 0

    async def test_refused_callers(self, api: Api, hotel: Hotel) -> None:
        body = {
            "hotel_id": hotel.id,
            "room_type_id": hotel.room_type_id,
            "arrival": today().isoformat(),
            "nights": 1,
        }
        ungranted = await api.citizen()
        problem(
            await api.client.post(
                f"{BASE}/reservations", json=body, headers=keyed(ungranted.headers)
            ),
            403,
            "scope_required",
        )
        problem(
            await api.client.post(f"{BASE}/reservations", json=body, headers=keyed({})),
            401,
            "unauthorized",
        )
        problem(
            await api.client.post(
                f"{BASE}/reservations", json=body, headers=keyed(hotel.desk.headers)
            ),
            403,
            "forbidden",
        )


class TestMyReservations:
    async def test_listed_newest_first(self, api: Api, hotel: Hotel) -> None:
        guest = await booker(api)
        first = await book(api, hotel, guest, arrival=today() + timedelta(days=1))
        second = await book(api, hotel, guest, arrival=today() + timedelta(days=2))
        page = await api.client.get(
            f"{BASE}/reservations", params={"limit": 1}, headers=guest.headers
        )
        assert [r["id"] for r in page.json()["items"]] == [second["id"]]
        rest = await api.client.get(
            f"{BASE}/reservations",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=guest.headers,
        )
        assert [r["id"] for r in rest.json()["items"]] == [first["id"]]
        problem(await api.client.get(f"{BASE}/reservations"), 401, "unauthorized")


class TestCancelReservation:
    async def test_cancelling_voids_the_hold(self, api: Api, hotel: Hotel) -> None:
        guest = await booker(api)
        booking = await book(api, hotel, guest)
        url = f"{BASE}/reservations/{booking['id']}/cancel"
        stranger = await booker(api)
        problem(await api.client.post(url, headers=stranger.headers), 404, "not_found")
        cancelled = await api.client.post(url, headers=guest.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert (await wallet(api, guest))["held"] == 0
        problem(await api.client.post(url, headers=guest.headers), 409, "reservation_not_open")
        problem(await api.client.post(url, headers=hotel.desk.headers), 403, "forbidden")


class TestNoShow:
    async def test_the_desk_marks_a_no_show_from_the_arrival_day(
        self, api: Api, hotel: Hotel
    ) -> None:
        guest = await booker(api)
        ahead = await book(api, hotel, guest, arrival=today() + timedelta(days=3))
        early = await api.client.post(
            f"{BASE}/reservations/{ahead['id']}/no-show", headers=hotel.desk.headers
        )
        problem(early, 409, "arrival_day_not_reached")
        booking = await book(api, hotel, guest)
        url = f"{BASE}/reservations/{booking['id']}/no-show"
        problem(await api.client.post(url, headers=guest.headers), 403, "forbidden")
        other = await make_hotel(api, rooms=0)
        problem(await api.client.post(url, headers=other.desk.headers), 404, "not_found")
        marked = await api.client.post(url, headers=hotel.desk.headers)
        assert marked.status_code == 200, marked.text
        assert marked.json()["status"] == "no_show"
        assert (await wallet(api, guest))["held"] == ahead["amount"]

    async def test_the_hourly_job_marks_the_rest(self, api: Api, hotel: Hotel) -> None:
        from miniapps.hotel.reservations import close_no_shows
        from miniapps.registry import app_context, get_registry
        from tests.app.portal import in_app

        guest = await booker(api)
        booking = await book(api, hotel, guest)
        loaded = get_registry().get("hotel")
        assert loaded is not None
        from miniapps.sdk import now

        ctx = app_context(loaded)
        assert await in_app(api.client, close_no_shows, ctx, now()) == 0
        closed = await in_app(api.client, close_no_shows, ctx, now() + timedelta(days=1))
        assert closed >= 1
        mine = await api.client.get(f"{BASE}/reservations", headers=guest.headers)
        assert mine.json()["items"][0] == {
            **mine.json()["items"][0],
            "id": booking["id"],
            "status": "no_show",
        }
        assert (await wallet(api, guest))["held"] == 0

    async def test_the_job_is_scheduled_hourly(self) -> None:
        from app.jobs import PERIODIC

        job = PERIODIC["miniapps.hotel.reservations.sweep_no_shows"]
        assert job.every == 3600

"""Journey: a hotel stay, booked in the app, checked in in 30 seconds, checked out.

The front desk sets up the hotel (incidentals, a room type and its rate, rooms). A citizen
books two nights (held on credit), arrives, and the desk scans their code: the booking's hold
becomes the stay's, a room is assigned, the guest register gets the real name and the
per-app ID hash. A minibar extra, then check-out captures the nights used and the extra and
releases the rest. A walk-in guest checks in without a booking; another booking is a
no-show and its hold is voided.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import Api
from tests.journeys.actors import device, grant, health_code, keyed, set_credit_limit, wallet
from tests.miniapps.hotel.conftest import BASE


async def test_thirty_second_check_in(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from miniapps.hotel import reservations, stays
    from miniapps.sdk import local_today, now

    desk = await device(api, "hotel")
    hotel = await api.client.put(
        f"{BASE}/hotel", json={"name": "西湖柳莺宾馆", "incidentals": 20_000}, headers=desk.headers
    )
    kind = await api.client.post(
        f"{BASE}/hotel/room-types", json={"name": "湖景房", "rate": 45_000}, headers=desk.headers
    )
    for number in ("301", "302"):
        room = await api.client.post(
            f"{BASE}/hotel/rooms",
            json={"room_type_id": kind.json()["id"], "number": number},
            headers=desk.headers,
        )
        assert room.status_code == 201, room.text
    hotel_id, type_id = hotel.json()["id"], kind.json()["id"]

    guest = await api.citizen(name="周杰")
    await set_credit_limit(api, guest, 400_000)
    await grant(api, guest, "hotel", "wallet.charge")
    today = local_today()
    booking = await api.client.post(
        f"{BASE}/reservations",
        json={
            "hotel_id": hotel_id,
            "room_type_id": type_id,
            "arrival": today.isoformat(),
            "nights": 2,
        },
        headers=keyed(guest.headers),
    )
    assert booking.status_code == 201, booking.text
    held = 45_000 * 2 + 20_000
    assert (await wallet(api, guest))["held"] == held

    # Arrival: one scan at the desk.
    code = await health_code(api, guest)
    checked_in = await api.client.post(
        f"{BASE}/check-ins", json={"code": code}, headers=keyed(desk.headers)
    )
    assert checked_in.status_code == 201, checked_in.text
    stay = checked_in.json()
    assert stay["reservation_id"] == booking.json()["id"] and stay["room_number"] == "301"
    register = await api.client.get(f"{BASE}/hotel/register", headers=desk.headers)
    assert register.json()["items"][0]["real_name"] == "周杰"

    walk_in = await api.citizen(name="吴磊")
    await set_credit_limit(api, walk_in, 400_000)
    walked = await api.client.post(
        f"{BASE}/check-ins",
        json={"code": await health_code(api, walk_in), "room_type_id": type_id, "nights": 1},
        headers=keyed(desk.headers),
    )
    assert walked.status_code == 201, walked.text
    assert walked.json()["room_number"] == "302"

    extra = await api.client.post(
        f"{BASE}/stays/{stay['id']}/extras",
        json={"item": "迷你吧", "amount": 3_800},
        headers=keyed(desk.headers),
    )
    assert extra.status_code == 201, extra.text

    # Two nights later, check-out: two nights and the extra, the rest released.
    later = now() + timedelta(days=2)
    monkeypatch.setattr(stays, "now", lambda: later)
    out = await api.client.post(f"{BASE}/stays/{stay['id']}/check-out", headers=keyed(desk.headers))
    assert out.status_code == 200, out.text
    assert out.json()["captured"] == 45_000 * 2 + 3_800
    after = await wallet(api, guest)
    assert (after["held"], after["outstanding"]) == (0, 45_000 * 2 + 3_800)
    mine = await api.client.get(f"{BASE}/stays", headers=guest.headers)
    assert mine.json()["items"][0]["status"] == "checked_out"

    # A booking nobody comes for: the desk marks the no-show the next day; the hold goes back.
    absent = await api.citizen(name="郑爽")
    await set_credit_limit(api, absent, 400_000)
    await grant(api, absent, "hotel", "wallet.charge")
    missed = await api.client.post(
        f"{BASE}/reservations",
        json={
            "hotel_id": hotel_id,
            "room_type_id": type_id,
            "arrival": today.isoformat(),
            "nights": 1,
        },
        headers=keyed(absent.headers),
    )
    assert (await wallet(api, absent))["held"] == 45_000 + 20_000
    monkeypatch.setattr(reservations, "now", lambda: later)
    no_show = await api.client.post(
        f"{BASE}/reservations/{missed.json()['id']}/no-show", headers=desk.headers
    )
    assert no_show.json()["status"] == "no_show"
    assert (await wallet(api, absent))["held"] == 0

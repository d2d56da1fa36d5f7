"""Hotel fixtures: a hotel set up by its front desk, with one room type and some rooms."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import Api, Citizen, Gate
from tests.journeys.actors import device, fresh_code, health_code, keyed, set_credit_limit

BASE = "/api/v1/miniapps/hotel"
_names = itertools.count(1)


@dataclass
class Hotel:
    desk: Gate
    id: str
    room_type_id: str
    rate: int
    incidentals: int
    rooms: list[str] = field(default_factory=list)


async def make_hotel(
    api: Api, rooms: int = 3, rate: int = 30_000, incidentals: int = 10_000
) -> Hotel:
    desk = await device(api, "hotel")
    saved = await api.client.put(
        f"{BASE}/hotel", json={"name": "湖滨酒店", "incidentals": incidentals}, headers=desk.headers
    )
    assert saved.status_code == 200, saved.text
    kind = await api.client.post(
        f"{BASE}/hotel/room-types",
        json={"name": f"大床房{next(_names)}", "rate": rate},
        headers=desk.headers,
    )
    assert kind.status_code == 201, kind.text
    hotel = Hotel(desk, saved.json()["id"], kind.json()["id"], rate, incidentals)
    for number in range(rooms):
        await add_room(api, hotel, f"{801 + number}")
    return hotel


async def add_room(api: Api, hotel: Hotel, number: str) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/hotel/rooms",
        json={"room_type_id": hotel.room_type_id, "number": number},
        headers=hotel.desk.headers,
    )
    assert response.status_code == 201, response.text
    hotel.rooms.append(number)
    body: dict[str, Any] = response.json()
    return body


async def check_in(
    api: Api, hotel: Hotel, guest: Citizen, nights: int = 2, code: str | None = None
) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/check-ins",
        json={
            "code": code or await fresh_code(api, guest),
            "room_type_id": hotel.room_type_id,
            "nights": nights,
        },
        headers=keyed(hotel.desk.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_guest(api: Api, colour: str = "green") -> Citizen:
    """A verified citizen with a code of `colour` and a known credit limit (3,000 CNY)."""
    guest = await api.citizen(name="欧阳娜娜")
    await health_code(api, guest, colour)
    await set_credit_limit(api, guest, 300_000)
    return guest


@pytest.fixture
async def hotel(api: Api) -> Hotel:
    return await make_hotel(api)


@pytest.fixture
async def guest(api: Api) -> Citizen:
    return await make_guest(api)

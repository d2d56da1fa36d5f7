"""Demo data for `make run`: the demo hotel's room types, rates and rooms (idempotent).

The identity demo loader puts the demo venues in `context["venues"]` (kind → id); the
hotel's gate (in var/demo-credentials.json) is then its front desk.
"""

from __future__ import annotations

from typing import Any

from miniapps.hotel.catalogue import add_room, add_room_type, save_hotel
from miniapps.hotel.common import hotel_of
from miniapps.hotel.schemas import HotelIn, RoomIn, RoomTypeIn
from miniapps.sdk import Conflict, fetch_one

DEMO_HOTEL = HotelIn(name="湖滨酒店 Lakeside Hotel", incidentals=30_000)
DEMO_ROOMS = (
    (RoomTypeIn(name="大床房 King", rate=48_800), [f"8{n:02d}" for n in range(1, 11)]),
    (RoomTypeIn(name="湖景双床房 Lake twin", rate=68_800), [f"9{n:02d}" for n in range(1, 6)]),
)


async def seed(context: dict[str, Any]) -> None:
    venue_id = context.get("venues", {}).get("hotel")
    if venue_id is None:
        return
    await save_hotel(venue_id, DEMO_HOTEL)
    hotel = await hotel_of(venue_id)
    for kind, numbers in DEMO_ROOMS:
        try:
            type_id = (await add_room_type(venue_id, kind)).id
        except Conflict:
            row = await fetch_one(
                "SELECT id FROM hotel_room_type WHERE name_key = {}", f"{hotel['id']}:{kind.name}"
            )
            assert row is not None
            type_id = row["id"]
        for number in numbers:
            try:
                await add_room(venue_id, RoomIn(room_type_id=type_id, number=number))
            except Conflict:
                continue  # seeded by an earlier run

"""Hotels, room types with their nightly rates, and rooms: kept by each hotel's front desk."""

from __future__ import annotations

from typing import Any

from miniapps.hotel.common import hotel_of
from miniapps.hotel.schemas import HotelIn, HotelOut, RoomIn, RoomOut, RoomTypeIn, RoomTypeOut
from miniapps.sdk import (
    Conflict,
    FieldError,
    ValidationFailed,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    new_id,
    now,
)


async def save_hotel(venue_id: str, data: HotelIn) -> HotelOut:
    at = now()
    async with atomic():
        await fetch(
            "INSERT INTO hotel_hotel (id, venue_id, name, incidentals, created_at, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (venue_id) DO UPDATE SET "
            "name = excluded.name, incidentals = excluded.incidentals, "
            "updated_at = excluded.updated_at",
            new_id(),
            venue_id,
            data.name,
            data.incidentals,
            at,
            at,
        )
        hotel = await hotel_of(venue_id)
    return (await hotels_out([hotel]))[0]


async def hotel_profile(venue_id: str) -> HotelOut:
    return (await hotels_out([await hotel_of(venue_id)]))[0]


async def add_room_type(venue_id: str, data: RoomTypeIn) -> RoomTypeOut:
    async with atomic():
        hotel = await hotel_of(venue_id)
        type_id = new_id()
        row = await fetch_one(
            "INSERT INTO hotel_room_type (id, hotel, name, name_key, rate, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (name_key) DO NOTHING RETURNING id",
            type_id,
            hotel["id"],
            data.name,
            f"{hotel['id']}:{data.name}",
            data.rate,
            now(),
        )
    if row is None:
        raise Conflict(f"This hotel already has a room type named {data.name}.")
    return RoomTypeOut(type_id, data.name, data.rate, rooms=0, free=0)


async def add_room(venue_id: str, data: RoomIn) -> RoomOut:
    async with atomic():
        hotel = await hotel_of(venue_id)
        kind = await fetch_one(
            "SELECT id FROM hotel_room_type WHERE id = {} AND hotel = {}",
            data.room_type_id,
            hotel["id"],
        )
        if kind is None:
            raise ValidationFailed(
                errors=[FieldError("room_type_id", "not a room type of this hotel")]
            )
        room_id = new_id()
        row = await fetch_one(
            "INSERT INTO hotel_room (id, hotel, room_type, number, number_key, stay_id, "
            "created_at) VALUES ({}, {}, {}, {}, {}, NULL, {}) "
            "ON CONFLICT (number_key) DO NOTHING RETURNING id",
            room_id,
            hotel["id"],
            data.room_type_id,
            data.number,
            f"{hotel['id']}:{data.number}",
            now(),
        )
    if row is None:
        raise Conflict(f"This hotel already has a room {data.number}.")
    return RoomOut(room_id, data.number, data.room_type_id, None)


async def rooms_of(
    venue_id: str, limit: int, cursor: str | None
) -> tuple[list[RoomOut], str | None]:
    hotel = await hotel_of(venue_id)
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT id, number, room_type, stay_id FROM hotel_room WHERE hotel = {} "
        f"AND number > {{}} ORDER BY number LIMIT {limit + 1}",
        hotel["id"],
        str(after[0]) if after else "",
    )
    items = [RoomOut(r["id"], r["number"], r["room_type"], r["stay_id"]) for r in rows[:limit]]
    return items, (encode_cursor(items[-1].number) if len(rows) > limit else None)


async def hotels_out(rows: list[dict[str, Any]]) -> list[HotelOut]:
    if not rows:
        return []
    marks = ", ".join("{}" for _ in rows)
    types = await fetch(
        "SELECT t.id, t.hotel, t.name, t.rate, COUNT(r.id) AS rooms, "
        "COUNT(r.id) - COUNT(r.stay_id) AS free FROM hotel_room_type t "
        "LEFT JOIN hotel_room r ON r.room_type = t.id "
        f"WHERE t.hotel IN ({marks}) GROUP BY t.id, t.hotel, t.name, t.rate ORDER BY t.name",
        *[r["id"] for r in rows],
    )
    return [
        HotelOut(
            id=r["id"],
            name=r["name"],
            incidentals=int(r["incidentals"]),
            room_types=[
                RoomTypeOut(t["id"], t["name"], int(t["rate"]), int(t["rooms"]), int(t["free"]))
                for t in types
                if t["hotel"] == r["id"]
            ],
        )
        for r in rows
    ]


async def list_hotels(limit: int, cursor: str | None) -> tuple[list[HotelOut], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        f"SELECT id, name, incidentals FROM hotel_hotel WHERE id > {{}} ORDER BY id "
        f"LIMIT {limit + 1}",
        str(after[0]) if after else "",
    )
    items = await hotels_out(rows[:limit])
    return items, (encode_cursor(items[-1].id) if len(rows) > limit else None)

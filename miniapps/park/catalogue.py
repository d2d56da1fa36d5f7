"""Parks and their time slots: kept by the park's own turnstiles, listed for everyone."""

from __future__ import annotations

from datetime import date, timedelta

from miniapps.park.common import SLOT_COLUMNS, park_of, slot_out
from miniapps.park.schemas import ParkIn, ParkOut, SlotIn, SlotOut
from miniapps.sdk import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    atomic,
    day_bounds,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    local_today,
    new_id,
    now,
)

LONGEST_SLOT = timedelta(hours=24)


async def save_park(venue_id: str, data: ParkIn) -> ParkOut:
    at = now()
    async with atomic():
        await fetch(
            "INSERT INTO park_park (id, venue_id, name, ticket, created_at, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (venue_id) DO UPDATE SET "
            "name = excluded.name, ticket = excluded.ticket, updated_at = excluded.updated_at",
            new_id(),
            venue_id,
            data.name,
            data.ticket,
            at,
            at,
        )
        park = await park_of(venue_id)
    return ParkOut(park["id"], park["name"], int(park["ticket"]))


async def park_profile(venue_id: str) -> ParkOut:
    park = await park_of(venue_id)
    return ParkOut(park["id"], park["name"], int(park["ticket"]))


async def list_parks(limit: int, cursor: str | None) -> tuple[list[ParkOut], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        f"SELECT id, name, ticket FROM park_park WHERE id > {{}} ORDER BY id LIMIT {limit + 1}",
        str(after[0]) if after else "",
    )
    items = [ParkOut(r["id"], r["name"], int(r["ticket"])) for r in rows[:limit]]
    return items, (encode_cursor(items[-1].id) if len(rows) > limit else None)


async def add_slot(venue_id: str, data: SlotIn) -> SlotOut:
    if not data.starts_at < data.ends_at <= data.starts_at + LONGEST_SLOT:
        raise ValidationFailed(
            errors=[FieldError("ends_at", "after starts_at, and at most 24 hours after it")]
        )
    if data.ends_at <= now():
        raise ValidationFailed(errors=[FieldError("ends_at", "the slot would be over already")])
    async with atomic():
        park = await park_of(venue_id)
        slot_id = new_id()
        row = await fetch_one(
            "INSERT INTO park_slot (id, park, starts_at, ends_at, capacity, reserved, slot_key, "
            "created_at) VALUES ({}, {}, {}, {}, {}, 0, {}, {}) "
            f"ON CONFLICT (slot_key) DO NOTHING RETURNING {SLOT_COLUMNS}",
            slot_id,
            park["id"],
            data.starts_at,
            data.ends_at,
            data.capacity,
            f"{park['id']}:{data.starts_at.timestamp():.0f}",
            now(),
        )
    if row is None:
        raise Conflict("This park already has a slot starting at that time.")
    return slot_out(row)


async def slots_of(park_id: str, day: date | None) -> list[SlotOut]:
    """A park's slots on a local day (today by default), in time order."""
    if await fetch_one("SELECT id FROM park_park WHERE id = {}", park_id) is None:
        raise NotFound("No such park.")
    start, end = day_bounds(day or local_today())
    rows = await fetch(
        f"SELECT {SLOT_COLUMNS} FROM park_slot WHERE park = {{}} AND starts_at >= {{}} "
        "AND starts_at < {} ORDER BY starts_at LIMIT 200",
        park_id,
        start,
        end,
    )
    return [slot_out(r) for r in rows]

"""What every part of park shares: the park of a turnstile's venue, and time slots."""

from __future__ import annotations

from typing import Any

from miniapps.park.errors import ParkNotSetUp
from miniapps.park.schemas import SlotOut
from miniapps.sdk import as_utc, fetch_one


async def park_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one("SELECT id, name, ticket FROM park_park WHERE venue_id = {}", venue_id)
    if row is None:
        raise ParkNotSetUp("Set this park up first: PUT /api/v1/miniapps/park/park.")
    return row


SLOT_COLUMNS = "id, park, starts_at, ends_at, capacity, reserved"


def slot_out(row: dict[str, Any], prefix: str = "") -> SlotOut:
    capacity, reserved = int(row[f"{prefix}capacity"]), int(row[f"{prefix}reserved"])
    return SlotOut(
        id=row[f"{prefix}id"],
        park_id=row[f"{prefix}park"],
        starts_at=as_utc(row[f"{prefix}starts_at"]),
        ends_at=as_utc(row[f"{prefix}ends_at"]),
        capacity=capacity,
        reserved=reserved,
        remaining=max(0, capacity - reserved),
    )

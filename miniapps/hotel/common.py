"""What every part of hotel shares: the app as merchant, the hotel of a desk's venue."""

from __future__ import annotations

from typing import Any

from miniapps.hotel.errors import HotelNotSetUp
from miniapps.sdk import fetch_one

DAY = 86_400


def register_purpose(record_id: str) -> str:
    """What a register line's real name is sealed for: that line, and nothing else."""
    return f"guest-register:{record_id}"


async def hotel_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, incidentals FROM hotel_hotel WHERE venue_id = {}", venue_id
    )
    if row is None:
        raise HotelNotSetUp("Set this hotel up first: PUT /api/v1/miniapps/hotel/hotel.")
    return row

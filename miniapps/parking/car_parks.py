"""Car parks and their tariffs: one per venue, set by that venue's own device.

The operator's terminal is a gate of the venue, like the barriers; whoever holds a gate of
the venue runs its car park, so no separate operator account is needed.
"""

from __future__ import annotations

from typing import Any

from miniapps.parking.fees import Tariff
from miniapps.parking.schemas import CarParkOut, CarParkRequest
from miniapps.sdk import (
    FieldError,
    NotFound,
    ValidationFailed,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    now,
)


def car_park_out(row: dict[str, Any]) -> CarParkOut:
    return CarParkOut(
        id=str(row["id"]),
        name=str(row["name"]),
        free_minutes=int(row["free_minutes"]),
        hourly_amount=int(row["hourly_amount"]),
        daily_cap_amount=int(row["daily_cap_amount"]),
        updated_at=as_utc(row["updated_at"]),
    )


def tariff_of(row: dict[str, Any]) -> Tariff:
    """The tariff columns of a car park or a stay row."""
    return Tariff(
        free_minutes=int(row["free_minutes"]),
        hourly_amount=int(row["hourly_amount"]),
        daily_cap_amount=int(row["daily_cap_amount"]),
    )


async def configure(venue_id: str, data: CarParkRequest) -> CarParkOut:
    """Create or update the venue's car park; stays already inside keep their tariff."""
    if data.daily_cap_amount < data.hourly_amount:
        raise ValidationFailed(
            errors=[FieldError("daily_cap_amount", "must be at least the hourly amount")]
        )
    at = now()
    async with atomic():
        row = await fetch_one(
            "INSERT INTO parking_car_park (id, name, free_minutes, hourly_amount, "
            "daily_cap_amount, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "free_minutes = excluded.free_minutes, hourly_amount = excluded.hourly_amount, "
            "daily_cap_amount = excluded.daily_cap_amount, updated_at = excluded.updated_at "
            "RETURNING *",
            venue_id,
            data.name,
            data.free_minutes,
            data.hourly_amount,
            data.daily_cap_amount,
            at,
            at,
        )
    assert row is not None
    return car_park_out(row)


async def find(car_park_id: str) -> dict[str, Any] | None:
    return await fetch_one("SELECT * FROM parking_car_park WHERE id = {}", car_park_id)


async def get(car_park_id: str) -> CarParkOut:
    row = await find(car_park_id)
    if row is None:
        raise NotFound("No such car park.")
    return car_park_out(row)


async def list_car_parks(limit: int, cursor: str | None) -> tuple[list[CarParkOut], str | None]:
    after = decode_cursor(cursor)
    if after is not None and (len(after) != 1 or not isinstance(after[0], str)):
        raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
    rows = await fetch(
        "SELECT * FROM parking_car_park WHERE id > {} ORDER BY id LIMIT {}",
        after[0] if after else "",
        limit + 1,
    )
    page = [car_park_out(row) for row in rows[:limit]]
    return page, (encode_cursor(page[-1].id) if len(rows) > limit else None)

"""What every part of park shares: the clock, stored values, the caller, the park, slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from miniapps.park.errors import ParkNotSetUp
from miniapps.park.schemas import SlotOut
from miniapps.sdk import Device, MiniAppContext, Unauthorized, fetch_one

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991


def now() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a local (Asia/Shanghai) day starts and ends."""
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)
    return start, start + timedelta(days=1)


def as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def maybe_utc(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)


def require_device(ctx: MiniAppContext) -> Device:
    """The calling turnstile; no token at all is 401 (a citizen's token is 403)."""
    if ctx.device is None and not ctx.has_citizen:
        raise Unauthorized("Call with the gate token of one of the park's turnstiles.")
    return ctx.require_device()


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

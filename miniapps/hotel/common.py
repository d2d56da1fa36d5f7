"""What every part of hotel shares: the clock, stored values, the caller, the hotel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from miniapps.hotel.errors import HotelNotSetUp
from miniapps.sdk import Device, MiniAppContext, Unauthorized, fetch_one

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991
DAY = 86_400


def now() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def maybe_utc(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)


def as_date(value: Any) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    assert isinstance(value, date)
    return value


def require_device(ctx: MiniAppContext) -> Device:
    """The calling front desk; no token at all is 401 (a citizen's token is 403)."""
    if ctx.device is None and not ctx.has_citizen:
        raise Unauthorized("Call with the gate token of the hotel's front desk.")
    return ctx.require_device()


def merchant(ctx: MiniAppContext) -> MiniAppContext:
    """The app itself, to capture or void what it holds (the obligation outlives consent)."""
    return MiniAppContext(manifest=ctx.manifest, settings=ctx.settings)


async def hotel_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, incidentals FROM hotel_hotel WHERE venue_id = {}", venue_id
    )
    if row is None:
        raise HotelNotSetUp("Set this hotel up first: PUT /api/v1/miniapps/hotel/hotel.")
    return row

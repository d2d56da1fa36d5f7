"""What every part of medical shares: the clock, stored values, the caller, the hospital."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from miniapps.medical.errors import HospitalNotSetUp
from miniapps.sdk import Device, MiniAppContext, Unauthorized, fetch_one

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991


def now() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_date(value: Any) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    assert isinstance(value, date)
    return value


def require_device(ctx: MiniAppContext) -> Device:
    """The calling device; no token at all is 401 (a citizen's token is 403)."""
    if ctx.device is None and not ctx.has_citizen:
        raise Unauthorized("Call with the gate token of one of this hospital's devices.")
    return ctx.require_device()


def merchant(ctx: MiniAppContext) -> MiniAppContext:
    """The app itself, to capture or void what it holds (the obligation outlives consent)."""
    return MiniAppContext(manifest=ctx.manifest, settings=ctx.settings)


async def hospital_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, registration_estimate FROM medical_hospital WHERE venue_id = {}",
        venue_id,
    )
    if row is None:
        raise HospitalNotSetUp("Set this hospital up first: PUT /api/v1/miniapps/medical/hospital.")
    return row

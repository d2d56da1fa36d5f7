"""Entry and exit events from the barriers, and the fee charged to credit at exit.

One open stay per plate (the unique `open_plate`), so a barrier reading the same car twice
finds the stay it opened, and a car cannot be inside two car parks at once. The exit closes
the stay and charges the fee in one transaction: a refused charge leaves the stay open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from miniapps.parking.car_parks import tariff_of
from miniapps.parking.errors import AlreadyParked, StayNotFound
from miniapps.parking.fees import parking_fee, stay_seconds
from miniapps.parking.schemas import StayOut
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    ValidationFailed,
    as_utc,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    maybe_utc,
    new_id,
    now,
)


def stay_out(row: dict[str, Any], as_of: datetime | None = None) -> StayOut:
    """The stay; an open one with its minutes and fee so far, as of `as_of` (default now)."""
    entered_at = as_utc(row["entered_at"])
    exited_at = maybe_utc(row["exited_at"])
    until = exited_at or max(as_of or now(), entered_at)
    if row["fee_amount"] is not None:
        fee = int(row["fee_amount"])
    else:
        fee = parking_fee(tariff_of(row), entered_at, until)
    return StayOut(
        id=str(row["id"]),
        car_park_id=str(row["car_park_id"]),
        plate=str(row["plate"]),
        status=row["status"],
        entered_at=entered_at,
        exited_at=exited_at,
        minutes=-(-stay_seconds(entered_at, until) // 60),
        fee_amount=fee,
        settled_by=row["settled_by"],
        charge_id=row["charge_id"],
    )


async def record_entry(car_park: dict[str, Any], plate: str, openid: str, gate_id: str) -> StayOut:
    """Inside a transaction: open a stay, or find the one this car park already opened."""
    row = await fetch_one(
        "INSERT INTO parking_stay (id, car_park_id, plate, openid, open_plate, status, "
        "free_minutes, hourly_amount, daily_cap_amount, entered_at, entry_gate_id, exited_at, "
        "exit_gate_id, fee_amount, settled_by, charge_id) VALUES "
        "({}, {}, {}, {}, {}, 'parked', {}, {}, {}, {}, {}, NULL, NULL, NULL, NULL, NULL) "
        "ON CONFLICT (open_plate) DO NOTHING RETURNING *",
        new_id(),
        car_park["id"],
        plate,
        openid,
        plate,
        car_park["free_minutes"],
        car_park["hourly_amount"],
        car_park["daily_cap_amount"],
        now(),
        gate_id,
    )
    if row is not None:
        return stay_out(row)
    inside = await fetch_one("SELECT * FROM parking_stay WHERE open_plate = {}", plate)
    if inside is not None and inside["car_park_id"] == car_park["id"]:
        return stay_out(inside)  # the barrier read the same car again
    raise AlreadyParked(
        "This plate is inside another car park; it must exit there first "
        "(an attendant can settle that stay at the booth)."
    )


async def record_exit(
    ctx: MiniAppContext, car_park_id: str, plate: str, gate_id: str, settle: str
) -> StayOut:
    """Inside a transaction: close the plate's stay here and charge its fee to credit."""
    stay = await fetch_one(
        "SELECT * FROM parking_stay WHERE open_plate = {} AND car_park_id = {}",
        plate,
        car_park_id,
    )
    if stay is None:
        raise StayNotFound("This plate has no open stay at this car park.")
    entered_at = as_utc(stay["entered_at"])
    exited_at = max(now(), entered_at)
    fee = parking_fee(tariff_of(stay), entered_at, exited_at)
    closed = await fetch_one(
        "UPDATE parking_stay SET status = 'exited', open_plate = NULL, exited_at = {}, "
        "exit_gate_id = {}, fee_amount = {}, settled_by = {} "
        "WHERE id = {} AND status = 'parked' RETURNING *",
        exited_at,
        gate_id,
        fee,
        settle if fee > 0 else None,
        stay["id"],
    )
    if closed is None:
        raise StayNotFound("This stay was closed meanwhile.")
    if fee > 0 and settle == "wallet":
        citizen = await ctx.for_openid(str(stay["openid"]))
        name = await fetch_one("SELECT name FROM parking_car_park WHERE id = {}", car_park_id)
        memo = f"停车费 {name['name'] if name else ''} {plate}"[:200]
        charged = await citizen.wallet.charge(fee, memo)
        closed = await fetch_one(
            "UPDATE parking_stay SET charge_id = {} WHERE id = {} RETURNING *",
            charged.charge_id,
            stay["id"],
        )
        assert closed is not None
    return stay_out(closed)


async def list_stays(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[StayOut], str | None]:
    """The citizen's stays, newest first."""
    after = decode_cursor(cursor)
    if after is None:
        rows = await fetch(
            "SELECT * FROM parking_stay WHERE openid = {} "
            "ORDER BY entered_at DESC, id DESC LIMIT {}",
            openid,
            limit + 1,
        )
    else:
        if len(after) != 2 or not all(isinstance(part, str) for part in after):
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        try:
            at = as_utc(after[0])
        except ValueError:
            raise ValidationFailed(
                errors=[FieldError("cursor", "not a cursor this API returned")]
            ) from None
        rows = await fetch(
            "SELECT * FROM parking_stay WHERE openid = {} "
            "AND (entered_at < {} OR (entered_at = {} AND id < {})) "
            "ORDER BY entered_at DESC, id DESC LIMIT {}",
            openid,
            at,
            at,
            after[1],
            limit + 1,
        )
    as_of = now()
    page = [stay_out(row, as_of) for row in rows[:limit]]
    more = len(rows) > limit
    return page, (encode_cursor(page[-1].entered_at.isoformat(), page[-1].id) if more else None)

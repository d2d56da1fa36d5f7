"""Bookings from the app: the stay held on credit until arrival; a no-show voids it.

At the front desk, today's reservation is found by the guest's code and its hold becomes the
stay's. A reservation not checked in by the end of its arrival day (Asia/Shanghai) is a
no-show: the desk may mark it at once, and an hourly job marks the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from miniapps.hotel.common import DAY
from miniapps.hotel.errors import ArrivalDayNotReached, ReservationExists, ReservationNotOpen
from miniapps.hotel.schemas import ReservationIn, ReservationOut
from miniapps.sdk import (
    Conflict,
    FieldError,
    MiniAppContext,
    NotFound,
    ValidationFailed,
    as_date,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    local_day,
    maybe_utc,
    new_id,
    now,
)

BOOKING_WINDOW_DAYS = 180

_SQL = (
    "SELECT v.id, v.hotel, h.name AS hotel_name, v.room_type, t.name AS room_type_name, "
    "v.arrival, v.nights, v.amount, v.hold_id, v.status, v.created_at, v.closed_at "
    "FROM hotel_reservation v JOIN hotel_hotel h ON h.id = v.hotel "
    "JOIN hotel_room_type t ON t.id = v.room_type "
)


def _out(r: dict[str, Any]) -> ReservationOut:
    return ReservationOut(
        id=r["id"],
        hotel_id=r["hotel"],
        hotel_name=r["hotel_name"],
        room_type_id=r["room_type"],
        room_type_name=r["room_type_name"],
        arrival=as_date(r["arrival"]),
        nights=int(r["nights"]),
        amount=int(r["amount"]),
        hold_id=r["hold_id"],
        status=r["status"],
        created_at=as_utc(r["created_at"]),
        closed_at=maybe_utc(r["closed_at"]),
    )


async def _one(where: str, *args: Any) -> ReservationOut:
    row = await fetch_one(_SQL + "WHERE " + where, *args)
    if row is None:
        raise NotFound("No such reservation.")
    return _out(row)


async def reserve(ctx: MiniAppContext, data: ReservationIn) -> ReservationOut:
    """Hold rate × nights + incidentals until the morning after the stay would end."""
    openid = ctx.require_citizen()
    ctx.require_scope("wallet.charge")
    today = local_day(now())
    if not today <= data.arrival <= today + timedelta(days=BOOKING_WINDOW_DAYS):
        raise ValidationFailed(
            errors=[FieldError("arrival", f"from today to {BOOKING_WINDOW_DAYS} days ahead")]
        )
    kind = await fetch_one(
        "SELECT t.id, t.rate, h.name, h.incidentals FROM hotel_room_type t "
        "JOIN hotel_hotel h ON h.id = t.hotel WHERE t.id = {} AND h.id = {}",
        data.room_type_id,
        data.hotel_id,
    )
    if kind is None:
        raise ValidationFailed(errors=[FieldError("room_type_id", "not a room type of this hotel")])
    amount = int(kind["rate"]) * data.nights + int(kind["incidentals"])
    reservation_id = new_id()
    async with atomic():
        claimed = await fetch_one(
            "INSERT INTO hotel_reservation (id, hotel, room_type, openid, arrival, nights, "
            "amount, hold_id, status, open_key, created_at, closed_at) VALUES ({}, {}, {}, {}, "
            "{}, {}, {}, '', 'reserved', {}, {}, NULL) ON CONFLICT (open_key) DO NOTHING "
            "RETURNING id",
            reservation_id,
            data.hotel_id,
            data.room_type_id,
            openid,
            data.arrival,
            data.nights,
            amount,
            f"{data.hotel_id}:{openid}:{data.arrival.isoformat()}",
            now(),
        )
        if claimed is None:
            raise ReservationExists("You already have a booking at this hotel for that day.")
        days = (data.arrival - today).days + data.nights + 2
        memo = f"{kind['name']} 预订 {data.arrival.isoformat()} {data.nights}晚"[:200]
        held = await ctx.wallet.hold(amount, memo, days * DAY)
        await fetch(
            "UPDATE hotel_reservation SET hold_id = {} WHERE id = {}", held.hold_id, reservation_id
        )
        return await _one("v.id = {}", reservation_id)


async def reservations_of(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[ReservationOut], str | None]:
    after = decode_cursor(cursor)
    where = "v.openid = {}"
    args: list[Any] = [openid]
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        moment = as_utc(str(after[0]))
        where += " AND (v.created_at < {} OR (v.created_at = {} AND v.id < {}))"
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        _SQL + f"WHERE {where} ORDER BY v.created_at DESC, v.id DESC LIMIT {limit + 1}", *args
    )
    items = [_out(r) for r in rows[:limit]]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, (encode_cursor(last.created_at.isoformat(), last.id) if more and last else None)


async def _close(
    ctx: MiniAppContext, reservation_id: str, status: str, where: str, *args: Any
) -> ReservationOut:
    """Close an open reservation and void its hold, or say why it cannot be."""
    async with atomic():
        row = await fetch_one(
            "UPDATE hotel_reservation SET status = {}, open_key = NULL, closed_at = {} "
            f"WHERE id = {{}} AND status = 'reserved'{where} RETURNING hold_id",
            status,
            now(),
            reservation_id,
            *args,
        )
        if row is None:
            found = await fetch_one(
                f"SELECT status FROM hotel_reservation WHERE id = {{}}{where}",
                reservation_id,
                *args,
            )
            if found is None:
                raise NotFound("No such reservation.")
            raise ReservationNotOpen(f"This reservation is already {found['status']}.")
        try:
            await ctx.as_merchant().wallet.void(row["hold_id"])
        except Conflict:
            pass  # the hold lapsed already: nothing is left to give back
        return await _one("v.id = {}", reservation_id)


async def cancel(ctx: MiniAppContext, openid: str, reservation_id: str) -> ReservationOut:
    return await _close(ctx, reservation_id, "cancelled", " AND openid = {}", openid)


async def mark_no_show(ctx: MiniAppContext, hotel_id: str, reservation_id: str) -> ReservationOut:
    """The desk marks a guest who did not come: only once their arrival day has begun."""
    found = await fetch_one(
        "SELECT arrival FROM hotel_reservation WHERE id = {} AND hotel = {}",
        reservation_id,
        hotel_id,
    )
    if found is not None and as_date(found["arrival"]) > local_day(now()):
        raise ArrivalDayNotReached("The guest may still come: their arrival day is ahead.")
    return await _close(ctx, reservation_id, "no_show", " AND hotel = {}", hotel_id)


async def sweep_no_shows(ctx: MiniAppContext, at: datetime | None = None) -> None:
    """The hourly job (see `close_no_shows`)."""
    await close_no_shows(ctx, at)


async def close_no_shows(ctx: MiniAppContext, at: datetime | None = None) -> int:
    """Mark every reservation whose arrival day has ended as a no-show, voiding its hold."""
    today = local_day(at or now())
    rows = await fetch(
        "SELECT id FROM hotel_reservation WHERE status = 'reserved' AND arrival < {} LIMIT 500",
        today,
    )
    closed = 0
    for row in rows:
        try:
            await _close(ctx, row["id"], "no_show", "")
            closed += 1
        except ReservationNotOpen:
            continue  # checked in or cancelled meanwhile
    return closed


async def hold_expired(hold_id: str) -> None:
    """The wallet let a reservation's hold lapse."""
    async with atomic():
        await fetch(
            "UPDATE hotel_reservation SET status = 'expired', open_key = NULL, closed_at = {} "
            "WHERE hold_id = {} AND status = 'reserved'",
            now(),
            hold_id,
        )

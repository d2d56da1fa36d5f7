"""Reading stays (the guest's, or the desk's) and the guest register hotels must keep."""

from __future__ import annotations

from typing import Any

from miniapps.hotel.common import hotel_of, register_purpose
from miniapps.hotel.schemas import ExtraOut, GuestRecordOut, StayOut
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    NotFound,
    ValidationFailed,
    as_utc,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    maybe_utc,
)

_STAY_SQL = (
    "SELECT s.id, s.hotel, h.name AS hotel_name, r.number AS room_number, s.room_type, "
    "s.reservation_id, s.nights, s.rate, s.incidentals, s.hold_id, s.hold_amount, s.status, "
    "s.captured, s.released, s.checked_in_at, s.checked_out_at FROM hotel_stay s "
    "JOIN hotel_hotel h ON h.id = s.hotel JOIN hotel_room r ON r.id = s.room "
)


async def _stays_out(rows: list[dict[str, Any]]) -> list[StayOut]:
    extras: dict[str, list[ExtraOut]] = {r["id"]: [] for r in rows}
    if rows:
        marks = ", ".join("{}" for _ in rows)
        for e in await fetch(
            "SELECT id, stay, item, amount, created_at FROM hotel_extra "
            f"WHERE stay IN ({marks}) ORDER BY created_at, id",
            *extras,
        ):
            extras[e["stay"]].append(
                ExtraOut(e["id"], e["item"], int(e["amount"]), as_utc(e["created_at"]))
            )
    return [
        StayOut(
            id=r["id"],
            hotel_id=r["hotel"],
            hotel_name=r["hotel_name"],
            room_number=r["room_number"],
            room_type_id=r["room_type"],
            reservation_id=r["reservation_id"],
            nights=int(r["nights"]),
            rate=int(r["rate"]),
            incidentals=int(r["incidentals"]),
            hold_id=r["hold_id"],
            hold_amount=int(r["hold_amount"]),
            extras=extras[r["id"]],
            status=r["status"],
            captured=int(r["captured"]),
            released=int(r["released"]),
            checked_in_at=as_utc(r["checked_in_at"]),
            checked_out_at=maybe_utc(r["checked_out_at"]),
        )
        for r in rows
    ]


async def stay(stay_id: str, *, openid: str | None = None, hotel_id: str | None = None) -> StayOut:
    where, args = "s.id = {}", [stay_id]
    for column, value in (("s.openid", openid), ("s.hotel", hotel_id)):
        if value is not None:
            where += f" AND {column} = {{}}"
            args.append(value)
    row = await fetch_one(_STAY_SQL + "WHERE " + where, *args)
    if row is None:
        raise NotFound("No such stay.")
    return (await _stays_out([row]))[0]


def _after(cursor: str | None, column: str, id_column: str) -> tuple[str, list[Any]]:
    """The keyset condition after a cursor of (time, id), newest first."""
    after = decode_cursor(cursor)
    if not after:
        return "", []
    if len(after) != 2:
        raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
    moment = as_utc(str(after[0]))
    return (
        f" AND ({column} < {{}} OR ({column} = {{}} AND {id_column} < {{}}))",
        [moment, moment, str(after[1])],
    )


async def stays_of(openid: str, limit: int, cursor: str | None) -> tuple[list[StayOut], str | None]:
    where, args = _after(cursor, "s.checked_in_at", "s.id")
    rows = await fetch(
        _STAY_SQL + f"WHERE s.openid = {{}}{where} "
        f"ORDER BY s.checked_in_at DESC, s.id DESC LIMIT {limit + 1}",
        openid,
        *args,
    )
    items = await _stays_out(rows[:limit])
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, (
        encode_cursor(last.checked_in_at.isoformat(), last.id) if more and last else None
    )


async def guest_register(
    ctx: MiniAppContext, venue_id: str, limit: int, cursor: str | None
) -> tuple[list[GuestRecordOut], str | None]:
    """The desk's register: each real name opened here, from the line it was sealed for."""
    hotel = await hotel_of(venue_id)
    where, args = _after(cursor, "checked_in_at", "id")
    rows = await fetch(
        "SELECT id, stay, room_number, real_name_sealed, id_hash, checked_in_at, checked_out_at "
        f"FROM hotel_guest_register WHERE hotel = {{}}{where} "
        f"ORDER BY checked_in_at DESC, id DESC LIMIT {limit + 1}",
        hotel["id"],
        *args,
    )
    page = rows[:limit]
    items = [
        GuestRecordOut(
            stay_id=r["stay"],
            room_number=r["room_number"],
            real_name=ctx.unseal(r["real_name_sealed"], register_purpose(r["id"])),
            id_hash=r["id_hash"],
            checked_in_at=as_utc(r["checked_in_at"]),
            checked_out_at=maybe_utc(r["checked_out_at"]),
        )
        for r in page
    ]
    more = len(rows) > limit and page
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor(as_utc(last["checked_in_at"]).isoformat(), last["id"])
        if more and last
        else None
    )
    return items, next_cursor

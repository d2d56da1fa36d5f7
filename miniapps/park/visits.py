"""Reservations and the 20-second entry.

Every place in a slot, booked ahead or taken by a walk-in, comes from one conditional
`UPDATE park_slot SET reserved = reserved + 1 WHERE … AND reserved < capacity`: the row
lock (PostgreSQL) or the single writer (SQLite) makes it the only guard capacity needs.
An entry is one transaction: the scan, the place, the ticket charge and the entry record.
"""

from __future__ import annotations

from typing import Any

from miniapps.park.common import SLOT_COLUMNS, park_of, slot_out
from miniapps.park.errors import (
    AlreadyEntered,
    AlreadyReserved,
    ColourNotGreen,
    NoSlotNow,
    ReservationNotOpen,
    SlotClosed,
    SlotFull,
)
from miniapps.park.schemas import EntryOut, ReservationOut
from miniapps.sdk import (
    Device,
    FieldError,
    NotFound,
    ValidationFailed,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    maybe_utc,
    new_id,
    now,
    scan_refused,
)

ENTRY_SCOPES = ("healthcode.read", "wallet.charge")
_RESERVATION_SQL = (
    "SELECT r.id, r.park, p.name AS park_name, r.status, r.walk_in, r.created_at, r.closed_at, "
    "s.id AS s_id, s.park AS s_park, s.starts_at AS s_starts_at, s.ends_at AS s_ends_at, "
    "s.capacity AS s_capacity, s.reserved AS s_reserved FROM park_reservation r "
    "JOIN park_park p ON p.id = r.park JOIN park_slot s ON s.id = r.slot "
)


def _reservation_out(row: dict[str, Any]) -> ReservationOut:
    return ReservationOut(
        id=row["id"],
        park_id=row["park"],
        park_name=row["park_name"],
        slot=slot_out(row, "s_"),
        status=row["status"],
        walk_in=bool(row["walk_in"]),
        created_at=as_utc(row["created_at"]),
        closed_at=maybe_utc(row["closed_at"]),
    )


async def _reservation(reservation_id: str) -> ReservationOut:
    row = await fetch_one(_RESERVATION_SQL + "WHERE r.id = {}", reservation_id)
    if row is None:
        raise NotFound("No such reservation.")
    return _reservation_out(row)


async def _take_place(slot_id: str) -> dict[str, Any]:
    """One more place in the slot, or why not: the capacity guard."""
    row = await fetch_one(
        "UPDATE park_slot SET reserved = reserved + 1 WHERE id = {} AND reserved < capacity "
        f"AND ends_at > {{}} RETURNING {SLOT_COLUMNS}",
        slot_id,
        now(),
    )
    if row is not None:
        return row
    slot = await fetch_one("SELECT ends_at FROM park_slot WHERE id = {}", slot_id)
    if slot is None:
        raise ValidationFailed(errors=[FieldError("slot_id", "no such time slot")])
    if as_utc(slot["ends_at"]) <= now():
        raise SlotClosed("This time slot is over; pick a later one.")
    raise SlotFull("This time slot is fully booked; pick another one.")


async def _claim(
    reservation_id: str, slot: dict[str, Any], openid: str, status: str, walk_in: bool
) -> bool:
    at = now()
    row = await fetch_one(
        "INSERT INTO park_reservation (id, slot, park, openid, status, walk_in, active_key, "
        "created_at, closed_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (active_key) DO NOTHING RETURNING id",
        reservation_id,
        slot["id"],
        slot["park"],
        openid,
        status,
        walk_in,
        f"{slot['id']}:{openid}",
        at,
        at if status == "entered" else None,
    )
    return row is not None


async def reserve(openid: str, slot_id: str) -> ReservationOut:
    async with atomic():
        slot = await _take_place(slot_id)
        reservation_id = new_id()
        if not await _claim(reservation_id, slot, openid, "reserved", False):
            raise AlreadyReserved("You already hold a place in this time slot.")
        return await _reservation(reservation_id)


async def cancel(openid: str, reservation_id: str) -> ReservationOut:
    """Give the place back to the slot (only before the slot is over)."""
    async with atomic():
        row = await fetch_one(
            "UPDATE park_reservation SET status = 'cancelled', active_key = NULL, closed_at = {} "
            "WHERE id = {} AND openid = {} AND status = 'reserved' AND slot IN "
            "(SELECT id FROM park_slot WHERE ends_at > {}) RETURNING slot",
            now(),
            reservation_id,
            openid,
            now(),
        )
        if row is None:
            found = await fetch_one(
                "SELECT status FROM park_reservation WHERE id = {} AND openid = {}",
                reservation_id,
                openid,
            )
            if found is None:
                raise NotFound("No such reservation.")
            if found["status"] != "reserved":
                raise ReservationNotOpen(f"This reservation is already {found['status']}.")
            raise SlotClosed("This time slot is over; nothing to cancel.")
        await fetch("UPDATE park_slot SET reserved = reserved - 1 WHERE id = {}", row["slot"])
        return await _reservation(reservation_id)


async def reservations_of(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[ReservationOut], str | None]:
    after = decode_cursor(cursor)
    where = "r.openid = {}"
    args: list[Any] = [openid]
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        moment = as_utc(str(after[0]))
        where += " AND (r.created_at < {} OR (r.created_at = {} AND r.id < {}))"
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        _RESERVATION_SQL + f"WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT {limit + 1}",
        *args,
    )
    items = [_reservation_out(r) for r in rows[:limit]]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, (encode_cursor(last.created_at.isoformat(), last.id) if more and last else None)


# The gate -------------------------------------------------------------------------------------


async def _booked_place(park_id: str, openid: str) -> dict[str, Any] | None:
    """Use the visitor's reservation for a slot open now, if they hold one."""
    at = now()
    row = await fetch_one(
        "UPDATE park_reservation SET status = 'entered', closed_at = {} WHERE id = "
        "(SELECT r.id FROM park_reservation r JOIN park_slot s ON s.id = r.slot "
        "WHERE r.park = {} AND r.openid = {} AND r.status = 'reserved' "
        "AND s.starts_at <= {} AND s.ends_at > {} ORDER BY s.starts_at LIMIT 1) "
        "AND status = 'reserved' RETURNING id, slot",
        at,
        park_id,
        openid,
        at,
        at,
    )
    if row is None:
        return None
    slot = await fetch_one(f"SELECT {SLOT_COLUMNS} FROM park_slot WHERE id = {{}}", row["slot"])
    assert slot is not None
    return {"reservation_id": row["id"], "slot": slot, "walk_in": False}


async def _walk_in_place(park_id: str, openid: str) -> dict[str, Any]:
    """A place for a visitor without a reservation, in a slot open now with room left."""
    at = now()
    if await fetch_one(
        "SELECT r.id FROM park_reservation r JOIN park_slot s ON s.id = r.slot "
        "WHERE r.park = {} AND r.openid = {} AND r.status = 'entered' "
        "AND s.starts_at <= {} AND s.ends_at > {}",
        park_id,
        openid,
        at,
        at,
    ):
        raise AlreadyEntered("This visitor already entered in the time slot open now.")
    while True:
        at = now()
        slot = await fetch_one(
            "UPDATE park_slot SET reserved = reserved + 1 WHERE id = (SELECT id FROM park_slot "
            "WHERE park = {} AND starts_at <= {} AND ends_at > {} AND reserved < capacity "
            f"ORDER BY starts_at LIMIT 1) AND reserved < capacity RETURNING {SLOT_COLUMNS}",
            park_id,
            at,
            at,
        )
        if slot is not None:
            break
        open_now = await fetch_one(
            "SELECT SUM(capacity - reserved) AS room FROM park_slot WHERE park = {} "
            "AND starts_at <= {} AND ends_at > {}",
            park_id,
            at,
            at,
        )
        if open_now is None or open_now["room"] is None:
            raise NoSlotNow("The park has no time slot open now.")
        if int(open_now["room"]) <= 0:
            raise SlotFull("Every place of the time slot open now is taken.")
    reservation_id = new_id()
    if not await _claim(reservation_id, slot, openid, "entered", True):
        raise AlreadyEntered("This visitor already entered in this time slot.")
    return {"reservation_id": reservation_id, "slot": slot, "walk_in": True}


async def enter(device: Device, code: str) -> EntryOut:
    """The turnstile scans the code: green only; the reservation or a walk-in place; the
    ticket charged to the visitor's credit (unless free); the entry recorded."""
    park = await park_of(device.venue_id)
    async with atomic():
        scan = await device.scan(code, scopes=ENTRY_SCOPES)
        visitor = scan.citizen
        if visitor is None:
            raise scan_refused(scan.deny_reason, holder="visitor")
        if scan.colour != "green":
            raise ColourNotGreen(f"The visitor's health code is {scan.colour}; it must be green.")
        openid = visitor.require_citizen()
        place = await _booked_place(park["id"], openid) or await _walk_in_place(park["id"], openid)
        ticket, charge_id = int(park["ticket"]), None
        if ticket > 0:
            charged = await visitor.wallet.charge(ticket, f"{park['name']} 门票"[:200])
            charge_id = charged.charge_id
        entry = EntryOut(
            id=new_id(),
            park_id=park["id"],
            slot=slot_out(place["slot"]),
            reservation_id=place["reservation_id"],
            colour=scan.colour,
            walk_in=place["walk_in"],
            amount=ticket,
            charge_id=charge_id,
            entered_at=now(),
        )
        await fetch(
            "INSERT INTO park_entry (id, park, slot, reservation, openid, gate_id, colour, "
            "walk_in, amount, charge_id, entered_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            entry.id,
            entry.park_id,
            entry.slot.id,
            entry.reservation_id,
            openid,
            device.gate_id,
            entry.colour,
            entry.walk_in,
            entry.amount,
            entry.charge_id,
            entry.entered_at,
        )
    return entry


async def entries_at(
    venue_id: str, limit: int, cursor: str | None
) -> tuple[list[EntryOut], str | None]:
    """The park's entry log, newest first (no personal data: colour, slot, ticket, time)."""
    park = await park_of(venue_id)
    after = decode_cursor(cursor)
    where, args = "e.park = {}", [park["id"]]
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        moment = as_utc(str(after[0]))
        where += " AND (e.entered_at < {} OR (e.entered_at = {} AND e.id < {}))"
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        "SELECT e.id, e.park, e.reservation, e.colour, e.walk_in, e.amount, e.charge_id, "
        "e.entered_at, s.id AS s_id, s.park AS s_park, s.starts_at AS s_starts_at, "
        "s.ends_at AS s_ends_at, s.capacity AS s_capacity, s.reserved AS s_reserved "
        f"FROM park_entry e JOIN park_slot s ON s.id = e.slot WHERE {where} "
        f"ORDER BY e.entered_at DESC, e.id DESC LIMIT {limit + 1}",
        *args,
    )
    items = [
        EntryOut(
            id=r["id"],
            park_id=r["park"],
            slot=slot_out(r, "s_"),
            reservation_id=r["reservation"],
            colour=r["colour"],
            walk_in=bool(r["walk_in"]),
            amount=int(r["amount"]),
            charge_id=r["charge_id"],
            entered_at=as_utc(r["entered_at"]),
        )
        for r in rows[:limit]
    ]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, (encode_cursor(last.entered_at.isoformat(), last.id) if more and last else None)

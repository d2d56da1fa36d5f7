"""Plates bound to citizens: the gate reads a plate, the binding says who pays.

A plate has one owner at a time; binding it again is harmless, binding someone else's is
refused, and a plate whose car is inside stays bound until it leaves.
"""

from __future__ import annotations

import re
from typing import Any

from miniapps.parking.errors import PlateInUse, PlateLimitReached, PlateTaken
from miniapps.parking.schemas import PlateOut
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

MAX_PLATES = 5
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Province, issuing-office letter (no I or O), then 5 characters (6 for new-energy cars).
_PLATE = re.compile(rf"^[{_PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{5,6}}$")
_SEPARATORS = re.compile(r"[\s·•\-.]")


def normalise_plate(raw: str) -> str:
    """The plate as stored and compared: no separators, upper case; 422 if not a plate."""
    plate = _SEPARATORS.sub("", raw).upper()
    if not _PLATE.match(plate):
        raise ValidationFailed(
            errors=[
                FieldError(
                    "plate",
                    "not a mainland plate: a province character, a letter, then 5 letters or "
                    "digits (6 for new-energy cars), like 浙A12345",
                )
            ]
        )
    return plate


def _out(row: dict[str, Any]) -> PlateOut:
    return PlateOut(plate=str(row["plate"]), bound_at=as_utc(row["bound_at"]))


async def bind(openid: str, plate: str) -> PlateOut:
    async with atomic():
        row = await fetch_one(
            "INSERT INTO parking_plate (plate, openid, bound_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (plate) DO NOTHING RETURNING plate, bound_at",
            plate,
            openid,
            now(),
        )
        if row is None:
            existing = await fetch_one(
                "SELECT plate, openid, bound_at FROM parking_plate WHERE plate = {}", plate
            )
            if existing is not None and existing["openid"] == openid:
                return _out(existing)
            raise PlateTaken(
                "This plate is bound to another account; its owner must unbind it first."
            )
        count = await fetch_one("SELECT COUNT(*) AS n FROM parking_plate WHERE openid = {}", openid)
        if count is not None and int(count["n"]) > MAX_PLATES:
            raise PlateLimitReached(f"At most {MAX_PLATES} plates; unbind one first.")
    return _out(row)


async def owner(plate: str) -> str | None:
    """The openid that pays for this plate, if anyone bound it."""
    row = await fetch_one("SELECT openid FROM parking_plate WHERE plate = {}", plate)
    return None if row is None else str(row["openid"])


async def unbind(openid: str, plate: str) -> None:
    async with atomic():
        parked = await fetch_one(
            "SELECT id FROM parking_stay WHERE open_plate = {} AND openid = {}", plate, openid
        )
        if parked is not None:
            raise PlateInUse("The car is still inside a car park; unbind it after it leaves.")
        gone = await fetch(
            "DELETE FROM parking_plate WHERE plate = {} AND openid = {} RETURNING plate",
            plate,
            openid,
        )
    if not gone:
        raise NotFound("You have not bound this plate.")


async def list_plates(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[PlateOut], str | None]:
    after = decode_cursor(cursor)
    if after is not None and (len(after) != 1 or not isinstance(after[0], str)):
        raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
    rows = await fetch(
        "SELECT plate, bound_at FROM parking_plate WHERE openid = {} AND plate > {} "
        "ORDER BY plate LIMIT {}",
        openid,
        after[0] if after else "",
        limit + 1,
    )
    page = [_out(row) for row in rows[:limit]]
    return page, (encode_cursor(page[-1].plate) if len(rows) > limit else None)

"""The citizen's side of pay after treatment: register (a hold), visits and bills.

The hold of the hospital's registration estimate is the ceiling of the bill the citizen
authorised; a suspended wallet refuses it, so an overdue citizen cannot register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from miniapps.medical.errors import VisitExists
from miniapps.medical.schemas import BillOut, ChargeOut, VisitOut
from miniapps.sdk import (
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
    new_id,
    now,
)

HOLD_SECONDS = 7 * 86_400  # a visit is settled within the week, or the hold lapses

VISIT_SQL = (
    "SELECT v.id, v.hospital, h.name AS hospital_name, v.department, "
    "d.name AS department_name, v.visit_day, v.status, v.hold_id, v.estimate, v.total, "
    "v.captured, v.released, v.created_at, v.closed_at FROM medical_visit v "
    "JOIN medical_hospital h ON h.id = v.hospital "
    "JOIN medical_department d ON d.id = v.department "
)


async def visits_out(rows: list[dict[str, Any]]) -> list[VisitOut]:
    charges: dict[str, list[ChargeOut]] = {r["id"]: [] for r in rows}
    if rows:
        marks = ", ".join("{}" for _ in rows)
        for c in await fetch(
            "SELECT id, visit, item, amount, created_at FROM medical_charge "
            f"WHERE visit IN ({marks}) ORDER BY created_at, id",
            *charges,
        ):
            charges[c["visit"]].append(
                ChargeOut(c["id"], c["item"], int(c["amount"]), as_utc(c["created_at"]))
            )
    return [
        VisitOut(
            id=r["id"],
            hospital_id=r["hospital"],
            hospital_name=r["hospital_name"],
            department_id=r["department"],
            department_name=r["department_name"],
            visit_day=as_date(r["visit_day"]),
            status=r["status"],
            hold_id=r["hold_id"],
            estimate=int(r["estimate"]),
            total=int(r["total"]),
            captured=int(r["captured"]),
            released=int(r["released"]),
            created_at=as_utc(r["created_at"]),
            closed_at=as_utc(r["closed_at"]) if r["closed_at"] is not None else None,
            charges=charges[r["id"]],
        )
        for r in rows
    ]


async def visit(where: str, *args: Any) -> VisitOut:
    row = await fetch_one(VISIT_SQL + "WHERE " + where, *args)
    if row is None:
        raise NotFound("No such visit.")
    return (await visits_out([row]))[0]


async def register(ctx: MiniAppContext, hospital_id: str, department_id: str) -> VisitOut:
    """Register the signed-in citizen: a hold of the hospital's estimate, inside atomic()."""
    openid = ctx.require_citizen()
    ctx.require_scope("wallet.charge")
    hospital = await fetch_one(
        "SELECT h.id, h.name, h.registration_estimate, d.name AS department FROM "
        "medical_hospital h JOIN medical_department d ON d.hospital = h.id "
        "WHERE h.id = {} AND d.id = {}",
        hospital_id,
        department_id,
    )
    if hospital is None:
        raise ValidationFailed(
            errors=[FieldError("department_id", "not a department of this hospital")]
        )
    at = now()
    visit_id = new_id()
    estimate = int(hospital["registration_estimate"])
    async with atomic():
        await _claim_visit(visit_id, hospital_id, department_id, openid, estimate, at)
        memo = f"{hospital['name']} {hospital['department']} 挂号"[:200]
        held = await ctx.wallet.hold(estimate, memo, HOLD_SECONDS)
        await fetch("UPDATE medical_visit SET hold_id = {} WHERE id = {}", held.hold_id, visit_id)
    return await visit("v.id = {}", visit_id)


async def _claim_visit(
    visit_id: str, hospital_id: str, department_id: str, openid: str, estimate: int, at: datetime
) -> None:
    day = local_day(at)
    claimed = await fetch_one(
        "INSERT INTO medical_visit (id, hospital, department, openid, visit_day, status, "
        "open_key, hold_id, estimate, total, captured, released, created_at, closed_at) "
        "VALUES ({}, {}, {}, {}, {}, 'registered', {}, '', {}, 0, 0, 0, {}, NULL) "
        "ON CONFLICT (open_key) DO NOTHING RETURNING id",
        visit_id,
        hospital_id,
        department_id,
        openid,
        day,
        f"{hospital_id}:{openid}:{day.isoformat()}",
        estimate,
        at,
    )
    if claimed is None:
        raise VisitExists("You already have an open visit at this hospital today.")


async def visits_of(
    openid: str, limit: int, cursor: str | None, *, settled_only: bool = False
) -> tuple[list[VisitOut], str | None]:
    where = "v.openid = {}"
    args: list[Any] = [openid]
    if settled_only:
        where += " AND v.status = 'settled' AND v.captured > 0"
    after = decode_cursor(cursor)
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        where += " AND (v.created_at < {} OR (v.created_at = {} AND v.id < {}))"
        moment = as_utc(str(after[0]))
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        VISIT_SQL + f"WHERE {where} ORDER BY v.created_at DESC, v.id DESC LIMIT {limit + 1}",
        *args,
    )
    items = await visits_out(rows[:limit])
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, (encode_cursor(last.created_at.isoformat(), last.id) if more and last else None)


async def visit_of(openid: str, visit_id: str) -> VisitOut:
    return await visit("v.id = {} AND v.openid = {}", visit_id, openid)


def as_bill(settled: VisitOut) -> BillOut:
    assert settled.closed_at is not None
    return BillOut(
        visit_id=settled.id,
        hospital_name=settled.hospital_name,
        department_name=settled.department_name,
        visit_day=settled.visit_day,
        amount=settled.captured,
        items=settled.charges,
        settled_at=settled.closed_at,
    )

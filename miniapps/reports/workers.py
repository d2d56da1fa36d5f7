"""The grid's staff, assigned by a platform_admin through the app's own admin route.

An assignment names the citizen by the platform's citizen id (as `GET /api/v1/admin/citizens`
shows it); the app keeps only the openid it knows them by (`ctx.openid_of`). Putting a
worker's regions replaces them all; an empty list ends the worker's assignments.
"""

from __future__ import annotations

from miniapps.reports.schemas import AssignmentOut, WorkerIn, WorkerOut
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    ValidationFailed,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    new_id,
    now,
)


async def _regions(openid: str) -> list[AssignmentOut]:
    rows = await fetch(
        "SELECT region_code, level FROM reports_worker WHERE openid = {} ORDER BY region_code",
        openid,
    )
    return [AssignmentOut(r["region_code"], r["level"]) for r in rows]


async def assign(ctx: MiniAppContext, citizen_id: str, data: WorkerIn) -> WorkerOut:
    ctx.require_role("platform_admin")
    codes = [a.region_code for a in data.regions]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(errors=[FieldError("regions", "a region is listed twice")])
    openid = await ctx.openid_of(citizen_id)
    async with atomic():
        await fetch("DELETE FROM reports_worker WHERE openid = {}", openid)
        for assignment in data.regions:
            await fetch(
                "INSERT INTO reports_worker (id, openid, region_code, level, assignment_key, "
                "created_at) VALUES ({}, {}, {}, {}, {}, {})",
                new_id(),
                openid,
                assignment.region_code,
                assignment.level,
                f"{openid}:{assignment.region_code}",
                now(),
            )
    return WorkerOut(openid, await _regions(openid))


async def my_assignments(ctx: MiniAppContext) -> WorkerOut:
    openid = ctx.require_citizen()
    return WorkerOut(openid, await _regions(openid))


async def all_workers(
    ctx: MiniAppContext, limit: int, cursor: str | None
) -> tuple[list[WorkerOut], str | None]:
    ctx.require_role("platform_admin")
    after = decode_cursor(cursor)
    if after and len(after) != 1:
        raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
    where, args = ("WHERE openid > {}", [str(after[0])]) if after else ("", [])
    rows = await fetch(
        f"SELECT DISTINCT openid FROM reports_worker {where} ORDER BY openid LIMIT {limit + 1}",
        *args,
    )
    items = [WorkerOut(r["openid"], await _regions(r["openid"])) for r in rows[:limit]]
    more = len(rows) > limit and items
    return items, (encode_cursor(items[-1].openid) if more else None)

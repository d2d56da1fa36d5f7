"""The staff's side: the queue of a region, taking an event, transferring it, resolving it.

Each move is one conditional `UPDATE … WHERE status = … RETURNING`: two workers taking one
event at once, or a resolve racing a transfer, leave exactly one winner and a 409 for the
other. Resolving an event resolves the duplicates merged into it, and tells their reporters.
"""

from __future__ import annotations

from typing import Any

from miniapps.reports.common import EVENT_COLUMNS, add_step, event_out, event_row
from miniapps.reports.errors import EventClosed, EventNotOpen, EventNotTaken, NotYourEvent
from miniapps.reports.schemas import EventOut, ResolveIn, TransferIn
from miniapps.reports.staff import Staff, queue_filter, staff_of
from miniapps.sdk import (
    FieldError,
    Forbidden,
    MiniAppContext,
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

NOT_STAFF = "Only the region's grid workers and platform admins handle events."


async def require_staff(ctx: MiniAppContext) -> Staff:
    ctx.require_citizen()
    staff = await staff_of(ctx)
    if staff is None:
        raise Forbidden(NOT_STAFF)
    return staff


async def _handled(ctx: MiniAppContext, event_id: str) -> tuple[Staff, dict[str, Any]]:
    """The event and the caller, who must be staff of its region (404 for other staff)."""
    staff = await require_staff(ctx)
    row = await event_row(event_id)
    if row is None or not staff.covers(row["region_code"]) or row["merged_into"] is not None:
        raise NotFound("No such event in your regions.")
    return staff, row


async def queue(
    ctx: MiniAppContext, status: str | None, level: str | None, limit: int, cursor: str | None
) -> tuple[list[EventOut], str | None]:
    """Oldest first: what waits longest is handled first."""
    staff = await require_staff(ctx)
    where, args = queue_filter(staff)
    statuses = [status] if status else ["open", "taken"]
    where += " AND merged_into IS NULL AND status IN (" + ", ".join("{}" for _ in statuses) + ")"
    args += statuses
    if level:
        where += " AND level = {}"
        args.append(level)
    after = decode_cursor(cursor)
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        moment = as_utc(str(after[0]))
        where += " AND (created_at > {} OR (created_at = {} AND id > {}))"
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        f"SELECT {EVENT_COLUMNS} FROM reports_event WHERE {where} "
        f"ORDER BY created_at, id LIMIT {limit + 1}",
        *args,
    )
    items = [await event_out(r, ctx.openid) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit and items else None
    return items, (encode_cursor(last.created_at.isoformat(), last.id) if last else None)


async def take(ctx: MiniAppContext, event_id: str) -> EventOut:
    async with atomic():
        staff, row = await _handled(ctx, event_id)
        taken = await fetch_one(
            "UPDATE reports_event SET status = 'taken', worker_openid = {}, taken_at = {} "
            f"WHERE id = {{}} AND status = 'open' RETURNING {EVENT_COLUMNS}",
            staff.openid,
            now(),
            event_id,
        )
        if taken is None:
            raise EventNotOpen(f"This event is {row['status']}: only an open one can be taken.")
        await add_step(
            ctx,
            taken,
            "taken",
            staff.actor(taken["region_code"]),
            notice="处理中 A grid worker is on it",
        )
    return await event_out(taken, ctx.openid)


def _may_move(staff: Staff, row: dict[str, Any]) -> None:
    """A taken event is moved by the worker who took it, or by an admin."""
    if row["status"] == "taken" and row["worker_openid"] != staff.openid and not staff.admin:
        raise NotYourEvent("Another worker has taken this event.")


async def transfer(ctx: MiniAppContext, event_id: str, data: TransferIn) -> EventOut:
    """Hand the event to another region's queue (it is back to open there)."""
    async with atomic():
        staff, row = await _handled(ctx, event_id)
        if row["status"] == "resolved":
            raise EventClosed("A resolved event is not transferred.")
        _may_move(staff, row)
        if data.region_code == row["region_code"]:
            raise ValidationFailed(
                errors=[FieldError("region_code", "the event is already in this region")]
            )
        moved = await fetch_one(
            "UPDATE reports_event SET region_code = {}, status = 'open', worker_openid = NULL, "
            "taken_at = NULL WHERE id = {} AND status = {} "
            f"RETURNING {EVENT_COLUMNS}",
            data.region_code,
            event_id,
            row["status"],
        )
        if moved is None:
            raise EventNotOpen("The event changed meanwhile; look at it again.")
        await fetch(
            "UPDATE reports_event SET region_code = {} WHERE merged_into = {}",
            data.region_code,
            event_id,
        )
        await add_step(
            ctx,
            moved,
            "transferred",
            staff.actor(row["region_code"]),
            note=data.note,
            region_code=data.region_code,
            notice=f"已转办 Transferred to region {data.region_code}",
        )
    return await event_out(moved, ctx.openid)


async def resolve(ctx: MiniAppContext, event_id: str, data: ResolveIn) -> EventOut:
    async with atomic():
        staff, row = await _handled(ctx, event_id)
        if row["status"] == "resolved":
            raise EventClosed("This event is already resolved.")
        if row["status"] != "taken":
            raise EventNotTaken("Take the event before resolving it.")
        _may_move(staff, row)
        at = now()
        done = await fetch_one(
            "UPDATE reports_event SET status = 'resolved', resolved_at = {}, resolution = {} "
            f"WHERE id = {{}} AND status = 'taken' RETURNING {EVENT_COLUMNS}",
            at,
            data.note,
            event_id,
        )
        if done is None:
            raise EventNotTaken("The event changed meanwhile; look at it again.")
        actor = staff.actor(row["region_code"])
        notice = "已办结 Resolved: " + data.note[:100]
        await add_step(ctx, done, "resolved", actor, note=data.note, notice=notice)
        duplicates = await fetch(
            "UPDATE reports_event SET status = 'resolved', resolved_at = {}, resolution = {} "
            f"WHERE merged_into = {{}} AND status = 'merged' RETURNING {EVENT_COLUMNS}",
            at,
            data.note,
            event_id,
        )
        for duplicate in duplicates:
            await add_step(ctx, duplicate, "resolved", actor, note=data.note, notice=notice)
    return await event_out(done, ctx.openid)

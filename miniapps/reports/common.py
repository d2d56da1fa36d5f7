"""What every part of reports shares: reading an event, its steps, and telling the reporter.

Every step is a row written in the transaction of the change it records; the reporter's
notice (the `reports.update` template, for a citizen who granted `notify.send` and
subscribed) goes through the platform's outbox in that same transaction, so it is sent
exactly when the step commits. A reporter who did not subscribe still sees every step in
`GET /events/{id}`; the step records whether a notice went out.
"""

from __future__ import annotations

from typing import Any

from miniapps.reports.schemas import EventOut, PhotoOut, StepOut
from miniapps.sdk import (
    MiniAppContext,
    NotFound,
    NotSubscribed,
    RateLimited,
    ScopeRequired,
    as_utc,
    fetch,
    fetch_one,
    maybe_utc,
    new_id,
    now,
)

TEMPLATE = "reports.update"
BASE = "/api/v1/miniapps/reports"
EVENT_COLUMNS = (
    "id, openid, category, text, region_code, lat_e6, lng_e6, status, level, merged_into, "
    "worker_openid, deadline_at, escalated_at, created_at, taken_at, resolved_at, resolution, "
    "rating, duplicates"
)
E6 = 1_000_000


async def event_row(event_id: str) -> dict[str, Any] | None:
    return await fetch_one(f"SELECT {EVENT_COLUMNS} FROM reports_event WHERE id = {{}}", event_id)


async def require_event(event_id: str) -> dict[str, Any]:
    row = await event_row(event_id)
    if row is None:
        raise NotFound("No such event.")
    return row


async def event_out(row: dict[str, Any], caller: str | None) -> EventOut:
    photos = await fetch(
        "SELECT id, content_type, size, width, height FROM reports_photo WHERE event = {} "
        "ORDER BY position",
        row["id"],
    )
    steps = await fetch(
        "SELECT kind, actor, note, region_code, at FROM reports_step WHERE event = {} ORDER BY seq",
        row["id"],
    )
    deadline = as_utc(row["deadline_at"])
    open_now = row["status"] in ("open", "taken")
    return EventOut(
        id=row["id"],
        category=row["category"],
        text=row["text"],
        region_code=row["region_code"],
        latitude=int(row["lat_e6"]) / E6,
        longitude=int(row["lng_e6"]) / E6,
        status=row["status"],
        level=row["level"],
        merged_into=row["merged_into"],
        deadline_at=deadline,
        overdue=open_now and deadline <= now(),
        created_at=as_utc(row["created_at"]),
        taken_at=maybe_utc(row["taken_at"]),
        resolved_at=maybe_utc(row["resolved_at"]),
        resolution=row["resolution"],
        rating=None if row["rating"] is None else int(row["rating"]),
        duplicates=int(row["duplicates"]),
        photos=[
            PhotoOut(
                id=p["id"],
                content_type=p["content_type"],
                size=int(p["size"]),
                width=int(p["width"]),
                height=int(p["height"]),
                url=f"{BASE}/events/{row['id']}/photos/{p['id']}",
            )
            for p in photos
        ],
        steps=[
            StepOut(s["kind"], s["actor"], s["note"], s["region_code"], as_utc(s["at"]))
            for s in steps
        ],
        mine=caller is not None and caller == row["openid"],
    )


async def tell(ctx: MiniAppContext, openid: str, event_id: str, title: str, body: str) -> bool:
    """Notify the reporter (best effort: a reporter who did not subscribe is not an error)."""
    try:
        target = ctx if ctx.openid == openid else await ctx.for_openid(openid)
        await target.notify.send(TEMPLATE, {"title": title, "body": body, "event_id": event_id})
    except (NotSubscribed, ScopeRequired, RateLimited, NotFound):
        return False
    return True


async def add_step(
    ctx: MiniAppContext,
    event: dict[str, Any],
    kind: str,
    actor: str,
    *,
    note: str | None = None,
    region_code: str | None = None,
    notice: str,
) -> None:
    """Record a step (inside the caller's transaction) and tell the event's reporter."""
    notified = await tell(ctx, event["openid"], event["id"], notice, note or notice)
    await fetch(
        "INSERT INTO reports_step (id, event, seq, kind, actor, note, region_code, notified, at) "
        "VALUES ({}, {}, (SELECT count(*) + 1 FROM reports_step WHERE event = {}), "
        "{}, {}, {}, {}, {}, {})",
        new_id(),
        event["id"],
        event["id"],
        kind,
        actor,
        note,
        region_code,
        notified,
        now(),
    )

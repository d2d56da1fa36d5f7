"""A citizen's side: reporting an event, following it, rating the outcome, and its photos.

A report is checked whole before anything is written: the category, text and place by the
schema, every photo by its content (`photos.py`). The photos go to the file store first and
are removed again if the event's transaction fails, so no event is ever half-written. A
report of the same category within `DUPLICATE_METRES` of an event still open, reported in
the last `DUPLICATE_HOURS`, is merged into that event: the reporter is told, and follows it.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

from miniapps.reports import photos
from miniapps.reports.categories import CATEGORIES
from miniapps.reports.common import (
    E6,
    EVENT_COLUMNS,
    add_step,
    event_out,
    event_row,
    require_event,
)
from miniapps.reports.errors import AlreadyRated, EventNotResolved
from miniapps.reports.schemas import EventIn, EventOut, RatingIn
from miniapps.reports.staff import Staff, staff_of
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    NotFound,
    ValidationFailed,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    new_id,
    now,
)

REPORTS_PER_HOUR = 10  # per citizen; the platform's limiter answers 429 past it
DUPLICATE_METRES = 50
DUPLICATE_HOURS = 72
_EARTH_METRES = 6_371_000


def distance_metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): exact enough for tens of metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_METRES * math.asin(math.sqrt(a))


async def _duplicate_of(data: EventIn) -> dict[str, Any] | None:
    """The open event this report repeats: same category, nearby, recent; nearest first."""
    lat, lng = round(data.latitude * E6), round(data.longitude * E6)
    span = 1_000  # micro-degrees (≈ 110 m of latitude); the haversine decides
    rows = await fetch(
        f"SELECT {EVENT_COLUMNS} FROM reports_event WHERE category = {{}} "
        "AND status IN ('open', 'taken') AND merged_into IS NULL AND created_at >= {} "
        "AND lat_e6 BETWEEN {} AND {} AND lng_e6 BETWEEN {} AND {} ORDER BY created_at",
        data.category,
        now() - timedelta(hours=DUPLICATE_HOURS),
        lat - span,
        lat + span,
        lng - 2 * span,
        lng + 2 * span,
    )
    near = [
        (distance_metres(data.latitude, data.longitude, r["lat_e6"] / E6, r["lng_e6"] / E6), r)
        for r in rows
    ]
    near = [(d, r) for d, r in near if d <= DUPLICATE_METRES]
    return min(near, key=lambda pair: pair[0])[1] if near else None


async def report(ctx: MiniAppContext, data: EventIn) -> EventOut:
    openid = ctx.require_citizen()
    await ctx.limit("report", REPORTS_PER_HOUR, 3600)
    if not data.text.strip():
        raise ValidationFailed(errors=[FieldError("text", "say what is wrong")])
    cleaned = [
        await asyncio.to_thread(photos.clean, i, encoded) for i, encoded in enumerate(data.photos)
    ]
    event_id = new_id()
    stored: list[tuple[str, str, photos.CleanPhoto]] = []
    try:
        for photo in cleaned:
            photo_id = new_id()
            key = photos.file_key(event_id, photo_id, photo.extension)
            await photos.store(ctx, key, photo)
            stored.append((photo_id, key, photo))
        async with atomic():
            await _insert(ctx, openid, event_id, data, stored)
    except BaseException:
        await photos.forget(ctx, [key for _, key, _ in stored])
        raise
    return await event_out(await require_event(event_id), openid)


async def _insert(
    ctx: MiniAppContext,
    openid: str,
    event_id: str,
    data: EventIn,
    stored: list[tuple[str, str, photos.CleanPhoto]],
) -> None:
    at = now()
    original = await _duplicate_of(data)
    deadline = at + timedelta(hours=CATEGORIES[data.category].deadline_hours)
    if original is not None:
        deadline = as_utc(original["deadline_at"])
    await fetch(
        "INSERT INTO reports_event (id, openid, category, text, region_code, lat_e6, lng_e6, "
        "status, level, merged_into, worker_openid, deadline_at, escalated_at, created_at, "
        "taken_at, resolved_at, resolution, rating, rating_comment, duplicates) VALUES "
        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, NULL, {}, NULL, NULL, NULL, NULL, "
        "NULL, 0)",
        event_id,
        openid,
        data.category,
        data.text.strip(),
        data.region_code,
        round(data.latitude * E6),
        round(data.longitude * E6),
        "open" if original is None else "merged",
        "grid" if original is None else original["level"],
        None if original is None else original["id"],
        deadline,
        at,
    )
    for position, (photo_id, key, photo) in enumerate(stored):
        await fetch(
            "INSERT INTO reports_photo (id, event, position, file_key, content_type, size, "
            "width, height, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            photo_id,
            event_id,
            position,
            key,
            photo.content_type,
            len(photo.data),
            photo.width,
            photo.height,
            at,
        )
    row = await event_row(event_id)
    assert row is not None
    name = CATEGORIES[data.category].name
    await add_step(ctx, row, "reported", "citizen", notice=f"已受理 Received: {name}")
    if original is not None:
        await fetch(
            "UPDATE reports_event SET duplicates = duplicates + 1 WHERE id = {}", original["id"]
        )
        await add_step(
            ctx,
            row,
            "merged",
            "system",
            note=f"Merged into event {original['id']}, already reported at this spot.",
            notice="已合并 The same problem was already reported here: you will follow it",
        )


async def _visible(ctx: MiniAppContext, event_id: str) -> tuple[dict[str, Any], Staff | None]:
    """The event if the caller reported it or handles its region; otherwise 404."""
    openid = ctx.require_citizen()
    row = await event_row(event_id)
    if row is None:
        raise NotFound("No such event.")
    if row["openid"] == openid:
        return row, None
    staff = await staff_of(ctx)
    if staff is None or not staff.covers(row["region_code"]):
        raise NotFound("No such event.")
    return row, staff


async def view(ctx: MiniAppContext, event_id: str) -> EventOut:
    row, _ = await _visible(ctx, event_id)
    return await event_out(row, ctx.openid)


async def photo(ctx: MiniAppContext, event_id: str, photo_id: str) -> tuple[bytes, str]:
    """A photo's bytes, only for the reporter, the region's staff and admins."""
    await _visible(ctx, event_id)
    found = await fetch_one(
        "SELECT file_key FROM reports_photo WHERE id = {} AND event = {}", photo_id, event_id
    )
    if found is None:
        raise NotFound("No such photo.")
    return await photos.read(ctx, found["file_key"])


async def mine(
    ctx: MiniAppContext, limit: int, cursor: str | None
) -> tuple[list[EventOut], str | None]:
    openid = ctx.require_citizen()
    where, args = "openid = {}", list[Any]([openid])
    after = decode_cursor(cursor)
    if after:
        if len(after) != 2:
            raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
        moment = as_utc(str(after[0]))
        where += " AND (created_at < {} OR (created_at = {} AND id < {}))"
        args += [moment, moment, str(after[1])]
    rows = await fetch(
        f"SELECT {EVENT_COLUMNS} FROM reports_event WHERE {where} "
        f"ORDER BY created_at DESC, id DESC LIMIT {limit + 1}",
        *args,
    )
    items = [await event_out(r, openid) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit and items else None
    return items, (encode_cursor(last.created_at.isoformat(), last.id) if last else None)


async def rate(ctx: MiniAppContext, event_id: str, data: RatingIn) -> EventOut:
    """The reporter rates the outcome, once, after it is resolved."""
    openid = ctx.require_citizen()
    async with atomic():
        row = await fetch_one(
            f"UPDATE reports_event SET rating = {{}}, rating_comment = {{}} WHERE id = {{}} "
            f"AND openid = {{}} AND status = 'resolved' AND rating IS NULL "
            f"RETURNING {EVENT_COLUMNS}",
            data.rating,
            data.comment or None,
            event_id,
            openid,
        )
        if row is None:
            found = await event_row(event_id)
            if found is None or found["openid"] != openid:
                raise NotFound("No such event.")
            if found["status"] != "resolved":
                raise EventNotResolved("Rate the outcome once the event is resolved.")
            raise AlreadyRated("You already rated this outcome.")
        await add_step(
            ctx,
            row,
            "rated",
            "citizen",
            note=f"{data.rating}/5" + (f": {data.comment}" if data.comment else ""),
            notice=f"感谢评价 Thank you for rating: {data.rating}/5",
        )
    return await event_out(row, openid)

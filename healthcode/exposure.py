"""Contact tracing over the scan log: who was at the same venue as a citizen, around the same
time. Every query (and every marking) is written to the audit log in its own transaction.

Two indexed steps: the citizen's scans in the window, by (citizen, time); then the other scans
at each of those venues within ±window minutes, by (venue, time). Denied scans count too:
the person stood at the gate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.database import atomic, fetch
from app.errors import FieldError, ValidationFailed
from app.pagination import decode_cursor, encode_cursor
from app.settings import get_settings
from healthcode.clock import clock
from healthcode.rules import active_ruleset
from healthcode.schemas import Exposure, ExposureMarked
from healthcode.service import apply_cause, as_utc

MAX_INDEX_SCANS = 5000
VENUE_WINDOWS_PER_QUERY = 40


# Both steps are bounded by time: on PostgreSQL they read only the day partitions they need.
VISITS = (
    "SELECT venue_id, scanned_at FROM hc_scan WHERE citizen_id = {} AND scanned_at >= {} "
    f"AND scanned_at <= {{}} ORDER BY scanned_at LIMIT {MAX_INDEX_SCANS}"
)


def near_query(
    citizen_id: str, visits: list[tuple[str, datetime]], window: timedelta
) -> tuple[Any, ...]:
    """SQL and values: the others scanned at each visit's venue within ±window of it."""
    near = " OR ".join(["(venue_id = {} AND scanned_at >= {} AND scanned_at <= {})"] * len(visits))
    args: list[Any] = [citizen_id]
    for venue_id, at in visits:
        args += [venue_id, at - window, at + window]
    # Other citizens, and holders of foreign codes (known by their keyed hash only).
    return (
        "SELECT id, citizen_id, subject_hash, venue_id, scanned_at FROM hc_scan WHERE "
        "(citizen_id <> {} OR (citizen_id IS NULL AND subject_hash IS NOT NULL)) "
        f"AND ({near})",
        *args,
    )


def window_bounds(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    now = clock.now()
    end = end or now
    start = start or now - timedelta(days=get_settings().scan_retention_days)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed(errors=[FieldError("from", "give times with a UTC offset")])
    if start > end:
        raise ValidationFailed(errors=[FieldError("from", "must not be after `to`")])
    return start, end


async def find_exposures(
    citizen_id: str, start: datetime, end: datetime, window_minutes: int
) -> list[tuple[str, Exposure]]:
    """(scan id, exposure) of everyone else scanned at a venue within ±window of the citizen's
    scans there, in (time, scan id) order."""
    index = await fetch(VISITS, citizen_id, start, end)
    window = timedelta(minutes=window_minutes)
    visits = [(r["venue_id"], as_utc(r["scanned_at"])) for r in index]
    found: dict[str, Exposure] = {}
    for offset in range(0, len(visits), VENUE_WINDOWS_PER_QUERY):
        chunk = visits[offset : offset + VENUE_WINDOWS_PER_QUERY]
        rows = await fetch(*near_query(citizen_id, chunk, window))
        for row in rows:
            at = as_utc(row["scanned_at"])
            overlap = min(
                (t for v, t in chunk if v == row["venue_id"] and abs(t - at) <= window),
                key=lambda t: abs(t - at),
            )
            known = found.get(row["id"])
            if known is None or abs(known.overlap_at - at) > abs(overlap - at):
                found[row["id"]] = Exposure(
                    row["citizen_id"],
                    row["venue_id"],
                    at,
                    overlap,
                    None if row["citizen_id"] else row["subject_hash"],
                )
    return sorted(found.items(), key=lambda item: (item[1].scanned_at, item[0]))


async def exposure_page(
    actor_id: str,
    citizen_id: str,
    start: datetime,
    end: datetime,
    window_minutes: int,
    limit: int,
    cursor: str | None,
) -> tuple[list[Exposure], str | None]:
    """One page of exposures, ordered by (scanned_at, scan id); the read is audited."""
    from identity.service import record_audit

    after = decode_cursor(cursor)
    try:
        after_key = (as_utc(str(after[0])), str(after[1])) if after else None
    except (ValueError, TypeError, IndexError):
        raise ValidationFailed(
            errors=[FieldError("cursor", "not a cursor this API returned")]
        ) from None
    async with atomic():
        await record_audit(
            actor_id, "healthcode.exposure_query", f"citizen:{citizen_id}:±{window_minutes}min"
        )
    found = await find_exposures(citizen_id, start, end, window_minutes)
    page = [
        (scan_id, e)
        for scan_id, e in found
        if after_key is None or (e.scanned_at, scan_id) > after_key
    ][: limit + 1]
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1][1].scanned_at.isoformat(), page[-1][0]) if more else None
    return [e for _, e in page], next_cursor


async def mark_exposed(
    actor_id: str, citizen_id: str, start: datetime, end: datetime, window_minutes: int, mark: str
) -> ExposureMarked:
    """Apply the trace rule (`close_contact` red, `companion` yellow) to everyone exposed."""
    from identity.service import record_audit

    verdict = active_ruleset().evaluate({"traced": mark})
    found = await find_exposures(citizen_id, start, end, window_minutes)
    # A foreign code's holder has no colour of ours to change; they are listed, not marked.
    exposed = sorted({e.citizen_id for _, e in found if e.citizen_id is not None})
    now = clock.now()
    marked = 0
    async with atomic():
        await record_audit(actor_id, "healthcode.exposure_mark", f"citizen:{citizen_id}:{mark}")
        for other in exposed:
            marked += await apply_cause(other, verdict, kind="trace", now=now, create=True)
    return ExposureMarked(marked=marked, rule_id=verdict.rule_id)

"""The report per region: how many events, how many closed, the median time to close.

Optionally bounded by the Asia/Shanghai days the events were reported on. Duplicates merged
into an event are counted apart (`merged`), not as events: the seed's
closure rate is of events, and a merged report closes with its event. Districts are the
six-digit codes under the region asked for.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from miniapps.reports.schemas import RegionReport, ReportOut
from miniapps.reports.staff import Staff
from miniapps.sdk import (
    FieldError,
    Forbidden,
    ValidationFailed,
    as_utc,
    day_start,
    fetch,
    maybe_utc,
    now,
    region_prefix,
)


def _summary(code: str, rows: list[dict[str, Any]], merged: int) -> RegionReport:
    at = now()
    closed = [r for r in rows if r["status"] == "resolved"]
    minutes = []
    for r in closed:
        resolved = maybe_utc(r["resolved_at"])
        if resolved is not None:
            minutes.append((resolved - as_utc(r["created_at"])).total_seconds() / 60)
    overdue = [
        r for r in rows if r["status"] in ("open", "taken") and as_utc(r["deadline_at"]) <= at
    ]
    return RegionReport(
        region_code=code,
        reported=len(rows),
        closed=len(closed),
        closure_rate=round(len(closed) / len(rows), 4) if rows else 1.0,
        median_minutes_to_close=round(statistics.median(minutes), 1) if minutes else None,
        open_overdue=len(overdue),
        escalated=sum(1 for r in rows if r["escalated_at"] is not None),
        merged=merged,
    )


async def region_report(
    staff: Staff, region_code: str, first: date | None = None, last: date | None = None
) -> ReportOut:
    """Events reported from local day `first` to `last` (both included; open-ended if None)."""
    if not staff.covers(region_code):
        raise Forbidden("You see the report of your own regions only.")
    if first and last and last < first:
        raise ValidationFailed(errors=[FieldError("to", "the last day is before the first")])
    where, args = "region_code LIKE {}", list[Any]([region_prefix(region_code) + "%"])
    if first:
        where += " AND created_at >= {}"
        args.append(day_start(first))
    if last:
        where += " AND created_at < {}"
        args.append(day_start(last + timedelta(days=1)))
    rows = await fetch(
        "SELECT region_code, status, created_at, resolved_at, deadline_at, escalated_at, "
        f"merged_into FROM reports_event WHERE {where}",
        *args,
    )
    events = [r for r in rows if r["merged_into"] is None]
    by_district: dict[str, list[dict[str, Any]]] = defaultdict(list)
    merged_by: dict[str, int] = defaultdict(int)
    for r in events:
        by_district[r["region_code"]].append(r)
    for r in rows:
        if r["merged_into"] is not None:
            merged_by[r["region_code"]] += 1
    return ReportOut(
        total=_summary(region_code, events, len(rows) - len(events)),
        districts=[
            _summary(code, by_district[code], merged_by[code])
            for code in sorted(set(by_district) | set(merged_by))
        ],
    )

"""Deadlines: an event still open or taken past its category's deadline escalates to the
district, which gets `DISTRICT_HOURS` more; the reporter is told.

A periodic job (`ESCALATE_EVERY` seconds). Each event escalates by one conditional
`UPDATE … WHERE level = 'grid' AND deadline_at <= now`, so a job run twice (at least once,
or by two processes) escalates an event once and records one step.
"""

from __future__ import annotations

from datetime import timedelta

from miniapps.reports.categories import DISTRICT_HOURS
from miniapps.reports.common import EVENT_COLUMNS, add_step
from miniapps.sdk import MiniAppContext, atomic, fetch, fetch_one, now

ESCALATE_EVERY = 300
BATCH = 200


async def escalate_overdue(ctx: MiniAppContext) -> None:
    """Escalate every overdue grid-level event (in batches, each its own transaction)."""
    while await _escalate_batch(ctx) == BATCH:
        pass


async def _escalate_batch(ctx: MiniAppContext) -> int:
    at = now()
    due = await fetch(
        "SELECT id FROM reports_event WHERE level = 'grid' AND status IN ('open', 'taken') "
        "AND merged_into IS NULL AND deadline_at <= {} ORDER BY deadline_at LIMIT {}",
        at,
        BATCH,
    )
    for event in due:
        async with atomic():
            row = await fetch_one(
                "UPDATE reports_event SET level = 'district', escalated_at = {}, "
                "deadline_at = {} WHERE id = {} AND level = 'grid' "
                f"AND status IN ('open', 'taken') RETURNING {EVENT_COLUMNS}",
                at,
                at + timedelta(hours=DISTRICT_HOURS),
                event["id"],
            )
            if row is None:
                continue  # resolved or escalated meanwhile
            await fetch(
                "UPDATE reports_event SET level = 'district' WHERE merged_into = {}", row["id"]
            )
            await add_step(
                ctx,
                row,
                "escalated",
                "system",
                note=f"Past its deadline: escalated to district {row['region_code']}.",
                region_code=row["region_code"],
                notice="已升级 Overdue: escalated to the district",
            )
    return len(due)

"""The wallet's scheduled jobs: hold expiry, due reminders, overdue suspension.

Each job is idempotent and safe to run in several processes at once: every step is a
conditional UPDATE that only one run (or one racing capture) can win.
"""

from __future__ import annotations

from datetime import timedelta

from app.database import atomic, fetch, fetch_one
from app.jobs import periodic
from wallet import clock, dues, events, service
from wallet.lines import as_utc

BATCH = 200
MAX_BATCHES = 50  # per run; the next run carries on
EXPIRING_NOTICE = timedelta(hours=24)  # warn this long before a long hold expires


@periodic(60)
async def expire_holds() -> int:
    """Release every hold past its expiry that nobody captured or voided first."""
    expired = 0
    now = clock.now()
    for _ in range(MAX_BATCHES):
        rows = await fetch(
            "SELECT id FROM wallet_hold WHERE status = 'held' AND expires_at <= {} "
            f"ORDER BY expires_at LIMIT {BATCH}",
            now,
        )
        for row in rows:
            expired += await service.expire_hold(str(row["id"]), now)
        if len(rows) < BATCH:
            break
    await warn_expiring_holds()
    return expired


async def warn_expiring_holds() -> int:
    """`hold.expiring` once for each hold of more than a day that expires within a day."""
    now = clock.now()
    rows = await fetch(
        "SELECT id, created_at, expires_at FROM wallet_hold WHERE status = 'held' "
        "AND expiring_notice_at IS NULL AND expires_at > {} AND expires_at <= {} "
        f"ORDER BY expires_at LIMIT {BATCH * MAX_BATCHES}",
        now,
        now + EXPIRING_NOTICE,
    )
    warned = 0
    for row in rows:
        if as_utc(row["expires_at"]) - as_utc(row["created_at"]) <= EXPIRING_NOTICE:
            continue  # a short hold: its expiry is no news to anyone
        async with atomic():
            hold = await fetch_one(
                "UPDATE wallet_hold SET expiring_notice_at = {} WHERE id = {} "
                "AND status = 'held' AND expiring_notice_at IS NULL "
                "RETURNING citizen_id, miniapp, amount, expires_at",
                now,
                row["id"],
            )
            if hold is not None:
                await events.expiring(
                    str(hold["citizen_id"]),
                    str(hold["miniapp"]),
                    str(row["id"]),
                    int(hold["amount"]),
                    as_utc(hold["expires_at"]),
                )
                warned += 1
    return warned


@periodic(600)
async def review_dues() -> dict[str, int]:
    """Reminders before the due date, suspension at it, reminders after it."""
    now = clock.now()
    done = {"due_soon": 0, "overdue": 0, "remind_overdue": 0}
    steps = {
        "due_soon": dues.remind_due_soon,
        "overdue": dues.suspend_if_overdue,
        "remind_overdue": dues.remind_overdue,
    }
    for _ in range(MAX_BATCHES):
        todo = await dues.citizens_to_review(now, BATCH)
        progress = 0
        for step, citizen_ids in todo.items():
            for citizen_id in citizen_ids:
                if await steps[step](citizen_id, now):
                    done[step] += 1
                    progress += 1
        if progress == 0 or all(len(ids) < BATCH for ids in todo.values()):
            break
    return done

"""Bills and due dates: what falls due when, paying bills down, reminders and overdue.

Each capture or charge is a bill due at the end of the day (Asia/Shanghai) `due_days` after
it (settings, default 10). `credit_line.outstanding` always equals the sum of the bills'
`remaining`, and `credit_line.next_due_at` is the earliest due date of a bill not yet paid;
once that date has passed the wallet is overdue, and the guard refuses new holds and charges
at once (the job only records the suspension and sends the reminders). Repayments pay the
oldest bills first, so paying the overdue amount lifts the suspension.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.database import atomic, fetch, fetch_one
from app.security import new_id
from app.settings import get_settings
from wallet import events
from wallet.lines import as_utc, lock_line

LOCAL = ZoneInfo("Asia/Shanghai")
DUE_REMINDER_LEAD = timedelta(days=3)  # "falls due soon" goes out this long before
OVERDUE_REMINDER_EVERY = timedelta(days=3)  # while overdue, remind again this often


def due_at_for(at: datetime) -> datetime:
    """The instant a bill made at `at` becomes overdue: midnight after its last day to pay."""
    last_day = (at + timedelta(days=get_settings().due_days)).astimezone(LOCAL).date()
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=LOCAL).astimezone(UTC)


def last_day_to_pay(due_at: datetime) -> str:
    return (due_at.astimezone(LOCAL) - timedelta(days=1)).date().isoformat()


async def add_bill(
    citizen_id: str,
    miniapp: str,
    kind: str,
    reference: str,
    memo: str,
    amount: int,
    now: datetime,
) -> datetime:
    """Inside atomic(), with the line locked: a new bill; returns its due date."""
    due_at = due_at_for(now)
    await fetch(
        "INSERT INTO wallet_bill (id, citizen_id, miniapp, kind, reference, memo, amount, "
        "remaining, created_at, due_at, due_notice_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL)",
        new_id(),
        citizen_id,
        miniapp,
        kind,
        reference,
        memo[:200],
        amount,
        amount,
        now,
        due_at,
    )
    await fetch(
        "UPDATE credit_line SET next_due_at = {} WHERE citizen_id = {} "
        "AND (next_due_at IS NULL OR next_due_at > {})",
        due_at,
        citizen_id,
        due_at,
    )
    return due_at


async def pay_down(
    citizen_id: str, amount: int, now: datetime, *, first_reference: str | None = None
) -> None:
    """Inside atomic(), with the line locked: reduce unpaid bills by `amount` in total.

    The bill of `first_reference` (a refunded charge or capture) goes first, then the
    oldest. Then the next due date is recomputed, and a suspension lifted if nothing is
    overdue any more.
    """
    if amount <= 0:
        return
    bills = await fetch(
        "SELECT id, reference, remaining FROM wallet_bill WHERE citizen_id = {} "
        "AND remaining > 0 ORDER BY due_at, created_at, id",
        citizen_id,
    )
    bills.sort(key=lambda bill: bill["reference"] != first_reference)
    left = amount
    for bill in bills:
        if left == 0:
            break
        take = min(left, int(bill["remaining"]))
        await fetch(
            "UPDATE wallet_bill SET remaining = remaining - {} WHERE id = {}", take, bill["id"]
        )
        left -= take
    if left:
        raise RuntimeError("bills do not add up to what is outstanding")
    await fetch(
        "UPDATE credit_line SET next_due_at = (SELECT MIN(due_at) FROM wallet_bill "
        "WHERE citizen_id = {} AND remaining > 0) WHERE citizen_id = {}",
        citizen_id,
        citizen_id,
    )
    await fetch(
        "UPDATE credit_line SET status = 'active', overdue_notice_at = NULL "
        "WHERE citizen_id = {} AND status = 'suspended' "
        "AND (next_due_at IS NULL OR next_due_at > {})",
        citizen_id,
        now,
    )


async def unpaid_by_due_date(citizen_id: str) -> list[tuple[datetime, int]]:
    """(due_at, remaining) of each due date with something left to pay, earliest first."""
    rows = await fetch(
        "SELECT due_at, SUM(remaining) AS remaining FROM wallet_bill "
        "WHERE citizen_id = {} AND remaining > 0 GROUP BY due_at ORDER BY due_at",
        citizen_id,
    )
    return [(as_utc(r["due_at"]), int(r["remaining"])) for r in rows]


def next_due(groups: list[tuple[datetime, int]], now: datetime) -> tuple[int, datetime] | None:
    """What to pay next: everything overdue, or else the earliest due date's amount."""
    if not groups:
        return None
    first_due = groups[0][0]
    cutoff = max(first_due, now)
    return sum(amount for due, amount in groups if due <= cutoff), first_due


# Reminders and overdue (run by wallet.tasks) -----------------------------------------------


async def remind_due_soon(citizen_id: str, now: datetime) -> bool:
    """One "falls due soon" reminder for the citizen's bills due within the lead time."""
    async with atomic():
        await lock_line(citizen_id, now)
        rows = await fetch(
            "UPDATE wallet_bill SET due_notice_at = {} WHERE citizen_id = {} AND remaining > 0 "
            "AND due_notice_at IS NULL AND due_at > {} AND due_at <= {} "
            "RETURNING remaining, due_at",
            now,
            citizen_id,
            now,
            now + DUE_REMINDER_LEAD,
        )
        if not rows:
            return False
        amount = sum(int(r["remaining"]) for r in rows)
        due_at = min(as_utc(r["due_at"]) for r in rows)
        await events.due_soon(citizen_id, amount, due_at, last_day_to_pay(due_at))
    return True


async def suspend_if_overdue(citizen_id: str, now: datetime) -> bool:
    """Record the suspension of an overdue wallet once, and tell the citizen."""
    async with atomic():
        row = await fetch_one(
            "UPDATE credit_line SET status = 'suspended', overdue_notice_at = {} "
            "WHERE citizen_id = {} AND status = 'active' AND next_due_at <= {} "
            "RETURNING citizen_id",
            now,
            citizen_id,
            now,
        )
        if row is None:
            return False
        overdue = await _overdue_amount(citizen_id, now)
        await events.overdue(citizen_id, overdue)
        await events.suspended(citizen_id, overdue)
    return True


async def remind_overdue(citizen_id: str, now: datetime) -> bool:
    """Another overdue reminder, at most every OVERDUE_REMINDER_EVERY while still overdue."""
    async with atomic():
        row = await fetch_one(
            "UPDATE credit_line SET overdue_notice_at = {} WHERE citizen_id = {} "
            "AND status = 'suspended' AND overdue_notice_at <= {} AND next_due_at <= {} "
            "RETURNING citizen_id",
            now,
            citizen_id,
            now - OVERDUE_REMINDER_EVERY,
            now,
        )
        if row is None:
            return False
        await events.overdue(citizen_id, await _overdue_amount(citizen_id, now))
    return True


async def overdue_amount(citizen_id: str, now: datetime) -> int:
    """What the citizen owes on bills already past their due date."""
    return await _overdue_amount(citizen_id, now)


async def _overdue_amount(citizen_id: str, now: datetime) -> int:
    row = await fetch_one(
        "SELECT COALESCE(SUM(remaining), 0) AS amount FROM wallet_bill "
        "WHERE citizen_id = {} AND remaining > 0 AND due_at <= {}",
        citizen_id,
        now,
    )
    return int(row["amount"]) if row else 0


async def citizens_to_review(now: datetime, batch: int) -> dict[str, list[str]]:
    """Who needs a due reminder, a suspension, or another overdue reminder now."""
    soon = await fetch(
        "SELECT DISTINCT citizen_id FROM wallet_bill WHERE remaining > 0 "
        f"AND due_notice_at IS NULL AND due_at > {{}} AND due_at <= {{}} LIMIT {int(batch)}",
        now,
        now + DUE_REMINDER_LEAD,
    )
    overdue = await fetch(
        "SELECT citizen_id FROM credit_line WHERE status = 'active' AND next_due_at <= {} "
        f"LIMIT {int(batch)}",
        now,
    )
    again = await fetch(
        "SELECT citizen_id FROM credit_line WHERE status = 'suspended' "
        f"AND overdue_notice_at <= {{}} AND next_due_at <= {{}} LIMIT {int(batch)}",
        now - OVERDUE_REMINDER_EVERY,
        now,
    )

    def ids(rows: list[dict[str, Any]]) -> list[str]:
        return [str(r["citizen_id"]) for r in rows]

    return {"due_soon": ids(soon), "overdue": ids(overdue), "remind_overdue": ids(again)}

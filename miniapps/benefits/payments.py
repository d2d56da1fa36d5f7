"""The payment run: every eligible citizen paid exactly once per period, never over budget.

The scheduler (and staff, on demand) sweeps the SDK's citizen directory page by page; the
sweep's cursor is saved after each page, so a run that stops (a restart, a crash) resumes
where it got to. Eligible citizens are paid in groups of 20, one transaction a group (a
commit is most of a payment's cost); for each of them:

1. claim the payment row `(programme, period, openid)` (a unique key: a second run, a retry
   or a concurrent run finds it taken and moves on; only a payment the channel refused is
   claimed again, by a conditional UPDATE);
2. the budget guard `UPDATE … SET spent = spent + :amount WHERE spent + :amount <= budget`
   (once for the whole group when it fits, what is unused given back before commit; else
   once a payment): no row means the budget is spent, and the row is kept as failed
   `budget_exhausted` (or `closed`, when staff closed the programme meanwhile);
3. the payout through the SDK (`ctx.payouts.pay`, the wallet's ledger and payment channel,
   keyed by the same key), which joins this transaction.

A refusal by the payment channel rolls the group back; its citizens are then paid one
transaction each, so that the refused one is recorded alone as failed `payment_failed` (the
next run tries it again). The wallet derives the channel's reference from the key, so a
payment tried again (after a rollback or a crash) names the same reference to the channel.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from miniapps.benefits import programmes
from miniapps.benefits import rules as rulebook
from miniapps.benefits.schemas import PaymentOut, PreferenceIn, PreferenceOut, StaffPaymentOut
from miniapps.sdk import (
    CitizenFacts,
    FieldError,
    MiniAppContext,
    PaymentFailed,
    ValidationFailed,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    local_today,
    maybe_utc,
    new_id,
    now,
)

BATCH = 500  # citizens read from the directory at a time
GROUP = 20  # payments committed together
RETRIED = "payment_failed"


async def pay_due_programmes(ctx: MiniAppContext) -> None:
    """The scheduled job: every active programme's due periods (on the payment day itself)."""
    rows = await fetch("SELECT id FROM benefits_programme WHERE status = 'active' ORDER BY id")
    for row in rows:
        await pay_programme(ctx, str(row["id"]))


async def run_programme(ctx: MiniAppContext, programme_id: str) -> None:
    """The job staff queue with `POST /programmes/{id}/runs`."""
    await pay_programme(ctx, programme_id)


async def pay_programme(ctx: MiniAppContext, programme_id: str) -> dict[str, int]:
    """Pay every due period of one programme; returns counts of this run's outcomes."""
    row = await programmes.programme_row(programme_id)
    outcomes: dict[str, int] = {}
    if row["status"] != "active":
        return outcomes
    for period, day in programmes.due_periods(row, local_today()):
        await _sweep(ctx, row, period, day, outcomes)
    return outcomes


async def _period_state(programme_id: str, period: str) -> dict[str, Any]:
    key = f"{programme_id}:{period}"
    async with atomic():
        await fetch(
            "INSERT INTO benefits_period (id, programme_id, period, resume_after, started_at, "
            "completed_at) VALUES ({}, {}, {}, NULL, {}, NULL) ON CONFLICT (id) DO NOTHING",
            key,
            programme_id,
            period,
            now(),
        )
    state = await fetch_one("SELECT * FROM benefits_period WHERE id = {}", key)
    assert state is not None
    return state


async def _sweep(
    ctx: MiniAppContext, row: dict[str, Any], period: str, day: date, outcomes: dict[str, int]
) -> None:
    programme_id = str(row["id"])
    state = await _period_state(programme_id, period)
    if state["completed_at"] is not None:
        await _retry_failed(ctx, row, period, outcomes)
        return
    rules = rulebook.decode(row["rules"])
    cursor: str | None = state["resume_after"]
    while True:
        page = await ctx.directory.page(cursor, BATCH)
        listed = (
            await programmes.listed_among(programme_id, [f.id_hash for f in page.items])
            if rulebook.needs_list(rules)
            else set()
        )
        chosen = [f for f in page.items if rulebook.eligible(rules, f, day, f.id_hash in listed)]
        await _pay_batch(ctx, row, period, chosen, outcomes)
        async with atomic():
            await fetch(
                "UPDATE benefits_period SET resume_after = {}, completed_at = {} WHERE id = {}",
                page.next_cursor,
                None if page.next_cursor else now(),
                state["id"],
            )
        if page.next_cursor is None:
            break
        cursor = page.next_cursor


async def _pay_batch(
    ctx: MiniAppContext,
    row: dict[str, Any],
    period: str,
    chosen: list[CitizenFacts],
    outcomes: dict[str, int],
) -> None:
    if not chosen:
        return
    openids = [f.openid for f in chosen]
    marks = ", ".join(["{}"] * len(openids))
    done = await fetch(
        "SELECT openid, status, reason FROM benefits_payment WHERE programme_id = {} "
        f"AND period = {{}} AND openid IN ({marks})",
        row["id"],
        period,
        *openids,
    )
    settled = {r["openid"] for r in done if r["status"] == "paid" or r["reason"] != RETRIED}
    prefs = await _repay_first(openids)
    due = [f.openid for f in chosen if f.openid not in settled]
    for start in range(0, len(due), GROUP):
        group = due[start : start + GROUP]
        for outcome in await _pay_group(ctx, row, period, group, prefs):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1


async def _pay_group(
    ctx: MiniAppContext, row: dict[str, Any], period: str, group: list[str], prefs: set[str]
) -> list[str]:
    """Pay a few citizens in one transaction (a commit each is most of a payment's cost);
    when the channel refuses one, the group is rolled back and paid one by one, so that the
    refusal is recorded alone. The wallet's benefit id is derived from the key, so the
    channel is asked again for the same references, and pays each at most once."""
    amount = int(row["amount"])
    try:
        async with atomic():
            # The group's budget in one guard; the programme row stays locked (PostgreSQL)
            # or the writer held (SQLite) until commit, so what a payment did not use is
            # given back before anyone else can see it. Too little left: one guard each.
            reserved = await _guard_budget(str(row["id"]), amount * len(group))
            outcomes = [
                await _pay(ctx, row, period, openid, openid in prefs, reserved=reserved)
                for openid in group
            ]
            unused = sum(1 for outcome in outcomes if outcome != "paid")
            if reserved and unused:
                await fetch(
                    "UPDATE benefits_programme SET spent = spent - {} WHERE id = {}",
                    amount * unused,
                    row["id"],
                )
            return outcomes
    except PaymentFailed:
        return [await pay_one(ctx, row, period, openid, openid in prefs) for openid in group]


async def _retry_failed(
    ctx: MiniAppContext, row: dict[str, Any], period: str, outcomes: dict[str, int]
) -> None:
    failed = await fetch(
        "SELECT openid FROM benefits_payment WHERE programme_id = {} AND period = {} "
        "AND status = 'failed' AND reason = {} ORDER BY openid",
        row["id"],
        period,
        RETRIED,
    )
    prefs = await _repay_first([str(r["openid"]) for r in failed])
    for r in failed:
        outcome = await pay_one(ctx, row, period, str(r["openid"]), r["openid"] in prefs)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1


async def _repay_first(openids: list[str]) -> set[str]:
    if not openids:
        return set()
    rows = await fetch(
        "SELECT openid FROM benefits_preference WHERE repay_overdue_first = {} AND openid IN ("
        + ", ".join(["{}"] * len(openids))
        + ")",
        True,
        *openids,
    )
    return {str(r["openid"]) for r in rows}


async def pay_one(
    ctx: MiniAppContext, row: dict[str, Any], period: str, openid: str, repay_first: bool
) -> str:
    """Pay one citizen for one period in a transaction of its own; returns `paid`,
    `skipped` (settled already) or the failure reason. Safe to call again and concurrently:
    the key decides."""
    try:
        async with atomic():
            return await _pay(ctx, row, period, openid, repay_first)
    except PaymentFailed:
        key = f"{row['id']}:{period}:{openid}"
        await _record_failure(row, period, openid, key, RETRIED)
        return RETRIED


async def _guard_budget(programme_id: str, amount: int) -> bool:
    """THE budget guard: add `amount` to what the programme spent, only if it fits."""
    within = await fetch(
        "UPDATE benefits_programme SET spent = spent + {} WHERE id = {} "
        "AND status = 'active' AND spent + {} <= budget RETURNING id",
        amount,
        programme_id,
        amount,
    )
    return bool(within)


async def _pay(
    ctx: MiniAppContext,
    row: dict[str, Any],
    period: str,
    openid: str,
    repay_first: bool,
    *,
    reserved: bool = False,
) -> str:
    """Inside the caller's transaction: claim, guard the budget (unless the caller reserved
    it for this payment), pay (see the module doc)."""
    programme_id, amount = str(row["id"]), int(row["amount"])
    key = f"{programme_id}:{period}:{openid}"
    at = now()
    claimed = await fetch(
        "INSERT INTO benefits_payment (id, payment_key, programme_id, period, openid, "
        "amount, status, reason, attempts, repaid, disbursed, created_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, 'paid', NULL, 1, 0, 0, {}) "
        "ON CONFLICT (payment_key) DO NOTHING RETURNING id",
        new_id(),
        key,
        programme_id,
        period,
        openid,
        amount,
        at,
    ) or await fetch(
        "UPDATE benefits_payment SET status = 'paid', reason = NULL, "
        "attempts = attempts + 1 WHERE payment_key = {} AND status = 'failed' "
        "AND reason = {} RETURNING id",
        key,
        RETRIED,
    )
    if not claimed:
        return "skipped"
    if not reserved and not await _guard_budget(programme_id, amount):
        state = await fetch_one("SELECT status FROM benefits_programme WHERE id = {}", programme_id)
        reason = "budget_exhausted" if state and state["status"] == "active" else "closed"
        await fetch(
            "UPDATE benefits_payment SET status = 'failed', reason = {} WHERE payment_key = {}",
            reason,
            key,
        )
        return reason
    paid = await ctx.payouts.pay(
        openid,
        amount,
        programme=programme_id,
        key=key,
        memo=str(row["name"]),
        repay_overdue_first=repay_first,
    )
    await fetch(
        "UPDATE benefits_payment SET payout_id = {}, repaid = {}, disbursed = {}, "
        "paid_at = {} WHERE payment_key = {}",
        paid.payout_id,
        paid.repaid,
        paid.disbursed,
        at,
        key,
    )
    return "paid"


async def _record_failure(
    row: dict[str, Any], period: str, openid: str, key: str, reason: str
) -> None:
    async with atomic():
        inserted = await fetch(
            "INSERT INTO benefits_payment (id, payment_key, programme_id, period, openid, "
            "amount, status, reason, attempts, repaid, disbursed, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, 'failed', {}, 1, 0, 0, {}) "
            "ON CONFLICT (payment_key) DO NOTHING RETURNING id",
            new_id(),
            key,
            row["id"],
            period,
            openid,
            int(row["amount"]),
            reason,
            now(),
        )
        if not inserted:  # a retry that failed again: count the attempt
            await fetch(
                "UPDATE benefits_payment SET attempts = attempts + 1 "
                "WHERE payment_key = {} AND status = 'failed'",
                key,
            )


# What citizens and staff read ---------------------------------------------------------------

_COLUMNS = (
    "p.id, p.programme_id, g.name AS programme_name, p.openid, p.period, p.amount, p.status, "
    "p.reason, p.repaid, p.disbursed, p.payout_id, p.attempts, p.created_at, p.paid_at"
)


def _page(rows: list[dict[str, Any]], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(as_utc(last["created_at"]).isoformat(), last["id"])


def _after(cursor: str | None) -> tuple[datetime, str]:
    after = decode_cursor(cursor)
    if not after:
        return datetime(9999, 1, 1, tzinfo=UTC), "~"
    try:
        return as_utc(datetime.fromisoformat(str(after[0]))), str(after[1])
    except (ValueError, IndexError):
        raise ValidationFailed(
            errors=[FieldError("cursor", "not a cursor this API returned")]
        ) from None


async def payments_of(
    ctx: MiniAppContext, limit: int, cursor: str | None
) -> tuple[list[PaymentOut], str | None]:
    openid = ctx.require_citizen()
    at, last = _after(cursor)
    rows = await _payments("p.openid = {}", openid, at, last, limit)
    items = [
        PaymentOut(
            **_shared(r), programme_id=r["programme_id"], programme_name=r["programme_name"]
        )
        for r in rows[:limit]
    ]
    return items, _page(rows, limit)


async def payments_for_staff(
    ctx: MiniAppContext, programme_id: str, status: str | None, limit: int, cursor: str | None
) -> tuple[list[StaffPaymentOut], str | None]:
    ctx.require_role("platform_admin")
    await programmes.programme_row(programme_id)
    at, last = _after(cursor)
    where, args = "p.programme_id = {}", [programme_id]
    if status:
        where, args = where + " AND p.status = {}", [programme_id, status]
    rows = await _payments(where, *args, at, last, limit)
    items = [
        StaffPaymentOut(**_shared(r), openid=r["openid"])
        for r in rows[:limit]
    ]
    return items, _page(rows, limit)


def _shared(r: dict[str, Any]) -> dict[str, Any]:
    """The fields a citizen's and the staff's view of a payment share."""
    return {
        "id": r["id"],
        "period": r["period"],
        "amount": int(r["amount"]),
        "status": r["status"],
        "reason": r["reason"],
        "repaid": int(r["repaid"]),
        "disbursed": int(r["disbursed"]),
        "payout_id": r["payout_id"],
        "attempts": int(r["attempts"]),
        "created_at": as_utc(r["created_at"]),
        "paid_at": maybe_utc(r["paid_at"]),
    }


async def _payments(where: str, *args: Any) -> list[dict[str, Any]]:
    *filters, at, last, limit = args
    return await fetch(
        f"SELECT {_COLUMNS} FROM benefits_payment p JOIN benefits_programme g "
        f"ON g.id = p.programme_id WHERE {where} AND (p.created_at < {{}} OR "
        "(p.created_at = {} AND p.id < {})) "
        f"ORDER BY p.created_at DESC, p.id DESC LIMIT {int(limit) + 1}",
        *filters,
        at,
        at,
        last,
    )


async def preference_of(ctx: MiniAppContext) -> PreferenceOut:
    openid = ctx.require_citizen()
    row = await fetch_one(
        "SELECT repay_overdue_first FROM benefits_preference WHERE openid = {}", openid
    )
    return PreferenceOut(bool(row["repay_overdue_first"]) if row else False)


async def set_preference(ctx: MiniAppContext, data: PreferenceIn) -> PreferenceOut:
    openid = ctx.require_citizen()
    async with atomic():
        await fetch(
            "INSERT INTO benefits_preference (openid, repay_overdue_first, updated_at) "
            "VALUES ({}, {}, {}) ON CONFLICT (openid) DO UPDATE SET "
            "repay_overdue_first = excluded.repay_overdue_first, updated_at = excluded.updated_at",
            openid,
            data.repay_overdue_first,
            now(),
        )
    return PreferenceOut(data.repay_overdue_first)

"""Programmes: defined by staff (a platform_admin), with their rules, budget and payment day;
the department's list of who is on it (kept as keyed hashes); their report."""

from __future__ import annotations

from datetime import date
from typing import Any

from miniapps.benefits import rules as rulebook
from miniapps.benefits.errors import ProgrammeClosed, ProgrammeNotFound
from miniapps.benefits.schemas import (
    FailureCount,
    ListIn,
    ListOut,
    PeriodReport,
    ProgrammeIn,
    ProgrammeOut,
    ReportOut,
)
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    ValidationFailed,
    as_date,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    local_today,
    maybe_utc,
    new_id,
    new_time_id,
    now,
)


def _out(row: dict[str, Any], listed: int) -> ProgrammeOut:
    budget, spent = int(row["budget"]), int(row["spent"])
    return ProgrammeOut(
        id=row["id"],
        name=row["name"],
        amount=int(row["amount"]),
        budget=budget,
        spent=spent,
        remaining_budget=budget - spent,
        frequency=row["frequency"],
        payment_day=as_date(row["payment_day"]),
        rules=rulebook.decode(row["rules"]),
        status=row["status"],
        listed=listed,
        created_at=as_utc(row["created_at"]),
    )


async def programme_row(programme_id: str) -> dict[str, Any]:
    row = await fetch_one("SELECT * FROM benefits_programme WHERE id = {}", programme_id)
    if row is None:
        raise ProgrammeNotFound("No programme has this id.")
    return row


async def _listed_count(programme_id: str) -> int:
    row = await fetch_one(
        "SELECT COUNT(*) AS n FROM benefits_listed WHERE programme_id = {}", programme_id
    )
    return int(row["n"]) if row else 0


async def create(ctx: MiniAppContext, data: ProgrammeIn) -> ProgrammeOut:
    staff = ctx.require_role("platform_admin")
    stored_rules = rulebook.check(data.rules)
    errors = []
    if data.budget < data.amount:
        errors.append(FieldError("budget", "the budget does not cover even one payment"))
    if data.payment_day < local_today():
        errors.append(FieldError("payment_day", "the payment day has passed"))
    if data.frequency == "monthly" and data.payment_day.day > 28:
        errors.append(FieldError("payment_day", "a monthly day must be the 1st to the 28th"))
    if errors:
        raise ValidationFailed(errors=errors)
    programme_id = new_time_id()  # time-ordered: the list is newest first
    async with atomic():
        await fetch(
            "INSERT INTO benefits_programme (id, name, amount, budget, spent, frequency, "
            "payment_day, rules, status, created_by, created_at) "
            "VALUES ({}, {}, {}, {}, 0, {}, {}, {}, 'active', {}, {})",
            programme_id,
            data.name,
            data.amount,
            data.budget,
            data.frequency,
            data.payment_day,
            rulebook.encode(stored_rules),
            staff,
            now(),
        )
        await ctx.audit("programme.create", f"programme:{programme_id}:{data.budget}")
    return _out(await programme_row(programme_id), 0)


async def get(ctx: MiniAppContext, programme_id: str) -> ProgrammeOut:
    ctx.require_role("platform_admin")
    return _out(await programme_row(programme_id), await _listed_count(programme_id))


async def list_all(
    ctx: MiniAppContext, limit: int, cursor: str | None
) -> tuple[list[ProgrammeOut], str | None]:
    ctx.require_role("platform_admin")
    after = decode_cursor(cursor)
    rows = await fetch(
        f"SELECT * FROM benefits_programme WHERE id < {{}} ORDER BY id DESC LIMIT {int(limit) + 1}",
        str(after[0]) if after else "~",
    )
    items = [_out(r, await _listed_count(r["id"])) for r in rows[:limit]]
    return items, (encode_cursor(items[-1].id) if len(rows) > limit else None)


async def close(ctx: MiniAppContext, programme_id: str) -> ProgrammeOut:
    """Stop paying; a payment in flight either committed before (it stays) or finds the
    programme closed in its budget guard and books nothing."""
    ctx.require_role("platform_admin")
    await programme_row(programme_id)
    async with atomic():
        closed = await fetch(
            "UPDATE benefits_programme SET status = 'closed' WHERE id = {} "
            "AND status = 'active' RETURNING id",
            programme_id,
        )
        if not closed:
            raise ProgrammeClosed("This programme is closed already.")
        await ctx.audit("programme.close", f"programme:{programme_id}")
    return await get(ctx, programme_id)


async def add_to_list(ctx: MiniAppContext, programme_id: str, data: ListIn) -> ListOut:
    """All or nothing: one number that is not a valid resident ID refuses the whole upload
    (the error names its position, never the number)."""
    ctx.require_role("platform_admin")
    await programme_row(programme_id)
    hashes: list[str] = []
    errors = []
    for i, number in enumerate(data.id_numbers):
        hashed = ctx.directory.id_hash(number)
        if hashed is None:
            errors.append(FieldError(f"id_numbers[{i}]", "not a valid 18-character resident ID"))
        else:
            hashes.append(hashed)
    if errors:
        raise ValidationFailed(errors=errors[:20])
    keys = list(dict.fromkeys(f"{programme_id}:{h}" for h in hashes))
    added = 0
    at = now()
    async with atomic():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            values: list[Any] = []
            for key in chunk:
                values += [new_id(), programme_id, key, at]
            rows = await fetch(
                "INSERT INTO benefits_listed (id, programme_id, listed_key, created_at) VALUES "
                + ", ".join(["({}, {}, {}, {})"] * len(chunk))
                + " ON CONFLICT (listed_key) DO NOTHING RETURNING id",
                *values,
            )
            added += len(rows)
        if added:  # someone new may be eligible for a period already swept
            await reopen(programme_id)
        await ctx.audit("programme.list", f"programme:{programme_id}:+{added}")
    return ListOut(programme_id, added, len(hashes) - added, await _listed_count(programme_id))


async def reopen(programme_id: str) -> None:
    """Inside atomic(): the next run sweeps the programme's periods from the start again."""
    await fetch(
        "UPDATE benefits_period SET completed_at = NULL, resume_after = NULL "
        "WHERE programme_id = {}",
        programme_id,
    )


async def listed_among(programme_id: str, id_hashes: list[str]) -> set[str]:
    """Which of these hashes the department listed for the programme."""
    if not id_hashes:
        return set()
    keys = [f"{programme_id}:{h}" for h in id_hashes]
    rows = await fetch(
        "SELECT listed_key FROM benefits_listed WHERE listed_key IN ("
        + ", ".join(["{}"] * len(keys))
        + ")",
        *keys,
    )
    return {str(r["listed_key"]).split(":", 1)[1] for r in rows}


def _failures(rows: list[dict[str, Any]]) -> list[FailureCount]:
    counts: dict[str, int] = {}
    for r in rows:
        if r["status"] == "failed":
            counts[r["reason"]] = counts.get(r["reason"], 0) + int(r["n"])
    return [FailureCount(reason, n) for reason, n in sorted(counts.items())]


async def report(ctx: MiniAppContext, programme_id: str) -> ReportOut:
    ctx.require_role("platform_admin")
    row = await programme_row(programme_id)
    counts = await fetch(
        "SELECT period, status, reason, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total "
        "FROM benefits_payment WHERE programme_id = {} GROUP BY period, status, reason",
        programme_id,
    )
    periods = await fetch(
        "SELECT period, completed_at FROM benefits_period WHERE programme_id = {} ORDER BY period",
        programme_id,
    )
    reports = []
    for p in periods:
        mine = [c for c in counts if c["period"] == p["period"]]
        paid = [c for c in mine if c["status"] == "paid"]
        reports.append(
            PeriodReport(
                period=p["period"],
                eligible=sum(int(c["n"]) for c in mine),
                paid=sum(int(c["n"]) for c in paid),
                paid_amount=sum(int(c["total"]) for c in paid),
                failed=sum(int(c["n"]) for c in mine if c["status"] == "failed"),
                failures=_failures(mine),
                completed_at=maybe_utc(p["completed_at"]),
            )
        )
    ledger_payments, ledger_amount = await ctx.payouts.programme_total(programme_id)
    budget, spent = int(row["budget"]), int(row["spent"])
    return ReportOut(
        programme_id=programme_id,
        budget=budget,
        spent=spent,
        remaining_budget=budget - spent,
        eligible=sum(r.eligible for r in reports),
        paid=sum(r.paid for r in reports),
        paid_amount=sum(r.paid_amount for r in reports),
        failed=sum(r.failed for r in reports),
        failures=_failures(counts),
        ledger_payments=ledger_payments,
        ledger_amount=ledger_amount,
        periods=reports,
    )


def due_periods(row: dict[str, Any], today: date) -> list[tuple[str, date]]:
    """(period, its payment day) for every period due by `today`, oldest first."""
    first = as_date(row["payment_day"])
    if first > today:
        return []
    if row["frequency"] == "once":
        return [(first.isoformat(), first)]
    due = []
    year, month = first.year, first.month
    while (year, month) <= (today.year, today.month):
        day = date(year, month, first.day)
        if day <= today:
            due.append((f"{year:04d}-{month:02d}", day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return due

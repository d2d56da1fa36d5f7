"""The wallet's operations: the only way other domains (and the routes) move money.

Every function opens (or joins) one `atomic()` transaction, so a hold, a capture or a refund
is booked whole or not at all; inside, the first write is the conditional UPDATE that decides
(the credit-line guard, or `… WHERE status = 'held'` for a hold), so that two racing calls
can never both succeed. Mini-app functions take the app's slug as the merchant: a hold or
charge of another app is "not found" to the caller.

Signatures are agreed with the miniapps package (`/api/v1/apps/wallet/*`), which wraps the
money-moving ones in `app.idempotency.idempotent`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from app import metrics
from app.database import after_commit, atomic, fetch, fetch_one
from app.errors import FieldError, NotFound, ProblemError, ValidationFailed
from app.pagination import decode_cursor, encode_cursor
from app.security import new_id
from wallet import clock, dues, events, ledger, lines
from wallet.channel import get_payment_channel
from wallet.errors import HoldNotOpen, Overpayment, RefundExceedsCharge
from wallet.ledger import FUNDING, Leg, credit_account, holds_account, merchant_account
from wallet.schemas import (
    HOLD_TTL_MAX,
    HOLD_TTL_MIN,
    MAX_AMOUNT,
    MAX_LIMIT,
    ChargeCreated,
    Entry,
    HoldCaptured,
    HoldCreated,
    HoldVoided,
    NextDue,
    RefundCreated,
    Wallet,
)

P = ParamSpec("P")
T = TypeVar("T")


def _counted(operation: str) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Count a refusal by its problem code (successes count themselves after commit)."""

    def wrap(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await fn(*args, **kwargs)
            except ProblemError as exc:
                metrics.wallet_refused(operation, exc.code)
                raise

        return counted

    return wrap


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(errors=[FieldError(field, message)])


def _check_amount(amount: int, field: str = "amount", low: int = 1, high: int = MAX_AMOUNT) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not low <= amount <= high:
        raise _invalid(field, f"must be a whole number of fen from {low} to {high}")
    return amount


def _check_memo(memo: str) -> str:
    if not isinstance(memo, str) or len(memo) > 200:
        raise _invalid("memo", "at most 200 characters")
    return memo


# Holds ------------------------------------------------------------------------------------


@_counted("hold")
async def create_hold(
    citizen_id: str, miniapp: str, amount: int, memo: str, expires_in: int
) -> HoldCreated:
    """Authorise `amount` fen of the citizen's credit for `miniapp` until it expires."""
    _check_amount(amount)
    _check_memo(memo)
    _check_amount(expires_in, "expires_in", HOLD_TTL_MIN, HOLD_TTL_MAX)
    async with atomic():
        now = clock.now()
        hold_id = new_id()
        expires_at = now + timedelta(seconds=expires_in)
        await fetch(
            "INSERT INTO wallet_hold (id, citizen_id, miniapp, amount, memo, status, expires_at, "
            "expiring_notice_at, captured, released, refunded, created_at, resolved_at) "
            "VALUES ({}, {}, {}, {}, {}, 'held', {}, NULL, 0, 0, 0, {}, NULL)",
            hold_id,
            citizen_id,
            miniapp,
            amount,
            memo,
            expires_at,
            now,
        )
        await ledger.post(
            [Leg("hold", credit_account(citizen_id), holds_account(citizen_id), amount)],
            citizen_id=citizen_id,
            miniapp=miniapp,
            reference=hold_id,
            memo=memo,
            at=now,
            # THE guard, after the rows that lock nothing (ledger.post says why).
            guard=lambda: lines.reserve(citizen_id, amount, now, column="held"),
        )
        after_commit(metrics.wallet_done("hold", amount))
    return HoldCreated(hold_id=hold_id, amount=amount, status="held", expires_at=expires_at)


async def _why_not_open(miniapp: str, hold_id: str, amount: int | None = None) -> Exception:
    row = await fetch_one(
        "SELECT status, amount FROM wallet_hold WHERE id = {} AND miniapp = {}", hold_id, miniapp
    )
    if row is None:
        return NotFound("No such hold.")
    if row["status"] != "held":
        return HoldNotOpen(f"The hold is already {row['status']}.")
    return _invalid("amount", f"at most the {int(row['amount'])} fen held")


@_counted("capture")
async def capture_hold(miniapp: str, hold_id: str, amount: int) -> HoldCaptured:
    """Take `amount` (≤ held) of an open hold; the rest goes back to the citizen's credit."""
    _check_amount(amount)
    async with atomic():
        now = clock.now()
        row = await fetch_one(
            "UPDATE wallet_hold SET status = 'captured', captured = {}, released = amount - {}, "
            "resolved_at = {} WHERE id = {} AND miniapp = {} AND status = 'held' "
            "AND amount >= {} RETURNING citizen_id, amount, memo",
            amount,
            amount,
            now,
            hold_id,
            miniapp,
            amount,
        )
        if row is None:
            raise await _why_not_open(miniapp, hold_id, amount)
        citizen_id, held = str(row["citizen_id"]), int(row["amount"])
        released = held - amount
        await lines.lock_line(citizen_id, now)
        await lines.adjust(citizen_id, now, held=-held, outstanding=amount)
        await dues.add_bill(citizen_id, miniapp, "capture", hold_id, row["memo"], amount, now)
        await ledger.post(
            [
                Leg("capture", holds_account(citizen_id), merchant_account(miniapp), amount),
                Leg("release", holds_account(citizen_id), credit_account(citizen_id), released),
            ],
            citizen_id=citizen_id,
            miniapp=miniapp,
            reference=hold_id,
            memo=row["memo"],
            at=now,
        )
        await events.captured(citizen_id, miniapp, hold_id, amount, released)
        after_commit(metrics.wallet_done("capture", amount))
    return HoldCaptured(hold_id=hold_id, status="captured", captured=amount, released=released)


async def _release(
    hold_id: str, now: datetime, status: str, where: str, *args: Any
) -> dict[str, Any] | None:
    """Resolve an open hold without taking anything: the whole amount goes back."""
    row = await fetch_one(
        "UPDATE wallet_hold SET status = {}, released = amount, resolved_at = {} "
        f"WHERE id = {{}} AND status = 'held' AND {where} "
        "RETURNING citizen_id, miniapp, amount, memo",
        status,
        now,
        hold_id,
        *args,
    )
    if row is None:
        return None
    citizen_id, miniapp, amount = str(row["citizen_id"]), str(row["miniapp"]), int(row["amount"])
    await lines.lock_line(citizen_id, now)
    await lines.adjust(citizen_id, now, held=-amount)
    await ledger.post(
        [Leg("release", holds_account(citizen_id), credit_account(citizen_id), amount)],
        citizen_id=citizen_id,
        miniapp=miniapp,
        reference=hold_id,
        memo=row["memo"],
        at=now,
    )
    await events.released(f"hold.{status}", citizen_id, miniapp, hold_id, amount)
    operation = {"voided": "void", "expired": "expire"}.get(status, status)
    after_commit(metrics.wallet_done(operation, amount))
    return row


@_counted("void")
async def void_hold(miniapp: str, hold_id: str) -> HoldVoided:
    """Give an open hold back in full."""
    async with atomic():
        if await _release(hold_id, clock.now(), "voided", "miniapp = {}", miniapp) is None:
            raise await _why_not_open(miniapp, hold_id)
    return HoldVoided(hold_id=hold_id, status="voided")


async def expire_hold(hold_id: str, now: datetime | None = None) -> bool:
    """The expiry job's step: release a hold past its expiry, unless it was resolved first."""
    async with atomic():
        now = now or clock.now()
        return await _release(hold_id, now, "expired", "expires_at <= {}", now) is not None


# Charges and refunds ----------------------------------------------------------------------


@_counted("charge")
async def charge(citizen_id: str, miniapp: str, amount: int, memo: str) -> ChargeCreated:
    """Take `amount` fen on credit at once; it falls due like a capture."""
    _check_amount(amount)
    _check_memo(memo)
    async with atomic():
        now = clock.now()
        await lines.reserve(citizen_id, amount, now, column="outstanding")
        charge_id = new_id()
        await fetch(
            "INSERT INTO wallet_charge (id, citizen_id, miniapp, amount, memo, refunded, "
            "created_at) VALUES ({}, {}, {}, {}, {}, 0, {})",
            charge_id,
            citizen_id,
            miniapp,
            amount,
            memo,
            now,
        )
        await dues.add_bill(citizen_id, miniapp, "charge", charge_id, memo, amount, now)
        await ledger.post(
            [Leg("charge", credit_account(citizen_id), merchant_account(miniapp), amount)],
            citizen_id=citizen_id,
            miniapp=miniapp,
            reference=charge_id,
            memo=memo,
            at=now,
        )
        await events.charged(citizen_id, miniapp, charge_id, amount)
        after_commit(metrics.wallet_done("charge", amount))
    return ChargeCreated(charge_id=charge_id, amount=amount)


async def _take_refund(miniapp: str, table: str, target_id: str, amount: int) -> dict[str, Any]:
    """Count `amount` against what the charge or captured hold took, or refuse."""
    taken = "amount" if table == "wallet_charge" else "captured"
    row = await fetch_one(
        f"UPDATE {table} SET refunded = refunded + {{}} WHERE id = {{}} AND miniapp = {{}} "
        f"AND {taken} - refunded >= {{}} RETURNING citizen_id, memo",
        amount,
        target_id,
        miniapp,
        amount,
    )
    if row is not None:
        return row
    current = await fetch_one(
        f"SELECT {taken} - refunded AS refundable FROM {table} WHERE id = {{}} AND miniapp = {{}}",
        target_id,
        miniapp,
    )
    if current is None:
        raise NotFound("No such charge." if table == "wallet_charge" else "No such hold.")
    raise RefundExceedsCharge(
        f"At most {int(current['refundable'])} fen can still be refunded here."
    )


@_counted("refund")
async def refund(
    miniapp: str, *, charge_id: str | None = None, hold_id: str | None = None, amount: int
) -> RefundCreated:
    """Give back part or all of a charge or a captured hold.

    What the citizen still owes is reduced first (the refunded bill, then the oldest); what
    they had already repaid is paid back to them (a `payout` entry).
    """
    _check_amount(amount)
    if (charge_id is None) == (hold_id is None):
        raise _invalid("charge_id", "give either charge_id or hold_id")
    table, target = ("wallet_charge", charge_id) if charge_id else ("wallet_hold", hold_id)
    assert target is not None
    async with atomic():
        now = clock.now()
        row = await _take_refund(miniapp, table, target, amount)
        citizen_id = str(row["citizen_id"])
        line = await lines.lock_line(citizen_id, now)
        reduce = min(amount, line.outstanding)
        payout = amount - reduce
        await lines.adjust(citizen_id, now, outstanding=-reduce)
        await dues.pay_down(citizen_id, reduce, now, first_reference=target)
        refund_id = new_id()
        await fetch(
            "INSERT INTO wallet_refund (id, citizen_id, miniapp, charge_id, hold_id, amount, "
            "payout, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            refund_id,
            citizen_id,
            miniapp,
            charge_id,
            hold_id,
            amount,
            payout,
            now,
        )
        await ledger.post(
            [
                Leg("refund", merchant_account(miniapp), credit_account(citizen_id), amount),
                Leg("payout", credit_account(citizen_id), FUNDING, payout),
            ],
            citizen_id=citizen_id,
            miniapp=miniapp,
            reference=refund_id,
            memo=row["memo"],
            at=now,
        )
        of = {("charge_id" if charge_id else "hold_id"): target}
        await events.refunded(citizen_id, miniapp, refund_id, amount, payout, of)
        after_commit(metrics.wallet_done("refund", amount))
    return RefundCreated(refund_id=refund_id, amount=amount)


# Repayments and limits --------------------------------------------------------------------


@_counted("repay")
async def repay(citizen_id: str, amount: int) -> Wallet:
    """Pay `amount` (≤ outstanding) through the payment channel; oldest bills first."""
    _check_amount(amount)
    async with atomic():
        now = clock.now()
        line = await lines.lock_line(citizen_id, now)
        if amount > line.outstanding:
            raise Overpayment(
                f"You owe {lines.yuan(line.outstanding)}; repay at most that "
                f"({line.outstanding} fen)."
            )
        repayment_id = new_id()
        channel = get_payment_channel()
        channel_reference = await channel.collect(
            citizen_id=citizen_id, amount=amount, reference=repayment_id
        )
        await lines.adjust(citizen_id, now, outstanding=-amount)
        await dues.pay_down(citizen_id, amount, now)
        await fetch(
            "INSERT INTO wallet_repayment (id, citizen_id, amount, channel, channel_reference, "
            "created_at) VALUES ({}, {}, {}, {}, {}, {})",
            repayment_id,
            citizen_id,
            amount,
            channel.name,
            channel_reference[:120],
            now,
        )
        await ledger.post(
            [Leg("repayment", FUNDING, credit_account(citizen_id), amount)],
            citizen_id=citizen_id,
            miniapp=None,
            reference=repayment_id,
            memo="还款",
            at=now,
        )
        after_commit(metrics.wallet_done("repay", amount))
        return await wallet_view(citizen_id)


async def set_credit_limit(actor_id: str, citizen_id: str, credit_limit: int) -> Wallet:
    """A platform admin sets the limit (audited). Lowering it never cancels what is owed."""
    from identity.service import record_audit

    _check_amount(credit_limit, "credit_limit", 0, MAX_LIMIT)
    async with atomic():
        await lines.set_limit(citizen_id, credit_limit, clock.now())
        await record_audit(actor_id, "wallet.credit_limit", f"citizen:{citizen_id}:{credit_limit}")
        return await wallet_view(citizen_id)


# Views ------------------------------------------------------------------------------------


async def wallet_view(citizen_id: str) -> Wallet:
    """The GET /api/v1/wallet body (opening the credit line on first use)."""
    now = clock.now()
    line = await lines.find_line(citizen_id)
    if line is None:
        async with atomic():
            line = await lines.lock_line(citizen_id, now)
    due = dues.next_due(await dues.unpaid_by_due_date(citizen_id), now)
    return Wallet(
        currency="CNY",
        credit_limit=line.credit_limit,
        available=max(0, line.headroom),
        held=line.held,
        outstanding=line.outstanding,
        status="suspended" if line.suspended(now) else "active",
        next_due=NextDue(amount=due[0], due_at=due[1]) if due else None,
    )


async def is_active(citizen_id: str) -> bool:
    """Would the wallet take a new hold or charge now (limit aside)?"""
    line = await lines.find_line(citizen_id)
    if line is not None:
        return not line.suspended(clock.now())
    from identity.service import citizen_brief

    brief = await citizen_brief(citizen_id)
    return brief is not None and brief.real_name_verified


async def list_entries(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[Entry], str | None]:
    after = decode_cursor(cursor)
    before_seq: int | None = None
    if after:
        if not isinstance(after[0], int):
            raise _invalid("cursor", "not a cursor this API returned")
        before_seq = after[0]
    rows = await ledger.entries(citizen_id, limit, before_seq)
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        Entry(
            id=r["id"],
            kind=r["kind"],
            amount=int(r["amount"]),
            memo=r["memo"],
            miniapp=r["miniapp"],
            created_at=lines.as_utc(r["created_at"]),
        )
        for r in rows
    ]
    return entries, (encode_cursor(int(rows[-1]["seq"])) if more else None)

"""Benefits paid to citizens from a mini-app's programme account (民生直达).

One call books one payment, exactly once per `payment_key`, in one transaction: the claim
of the key (a unique row, `INSERT … ON CONFLICT DO NOTHING`), the part that repays an overdue
pay-later balance when the citizen chose that (oldest bills first, which lifts a suspension),
the rest paid out through the `PaymentChannel` (`disburse`), and the ledger legs:

| entry kind | from → to |
|---|---|
| benefit | `programme:<slug>:<ref>` → `citizen:<id>:credit` (the overdue part) |
| benefit | `programme:<slug>:<ref>` → `citizen:<id>:receipts` (the rest) |
| payout | `citizen:<id>:receipts` → `platform:funding` (out through the channel) |

A second call with the same key books nothing and answers the first payment (`replayed`).
A channel refusal raises `PaymentFailed` and nothing at all is written, the key included,
so that a later run may try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import metrics
from app.database import after_commit, atomic, fetch, fetch_one
from app.errors import Conflict, FieldError, ValidationFailed
from app.security import new_id
from wallet import clock, dues, events, ledger, lines
from wallet.channel import get_payment_channel
from wallet.ledger import FUNDING, Leg, credit_account, programme_account, receipts_account
from wallet.schemas import MAX_AMOUNT


@dataclass(frozen=True)
class BenefitPaid:
    benefit_id: str
    citizen_id: str
    amount: int
    repaid: int
    disbursed: int
    channel_reference: str
    replayed: bool


def _paid(row: dict[str, Any], replayed: bool) -> BenefitPaid:
    return BenefitPaid(
        benefit_id=str(row["id"]),
        citizen_id=str(row["citizen_id"]),
        amount=int(row["amount"]),
        repaid=int(row["repaid"]),
        disbursed=int(row["disbursed"]),
        channel_reference=str(row["channel_reference"]),
        replayed=replayed,
    )


async def pay_benefit(
    *,
    miniapp: str,
    programme: str,
    citizen_id: str,
    amount: int,
    key: str,
    memo: str,
    repay_overdue_first: bool = False,
) -> BenefitPaid:
    """Pay `amount` fen to the citizen from the app's programme account, once per `key`."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
        raise ValidationFailed(
            errors=[FieldError("amount", f"must be a whole number of fen from 1 to {MAX_AMOUNT}")]
        )
    if not key or len(key) > 200 or not programme or len(programme) > 64:
        raise ValueError("a benefit needs a key (1-200 chars) and a programme ref (1-64)")
    payment_key = f"{miniapp}:{key}"
    account = programme_account(miniapp, programme)
    async with atomic():
        now = clock.now()
        benefit_id = new_id()
        claimed = await fetch(
            "INSERT INTO wallet_benefit (id, payment_key, miniapp, account, citizen_id, amount, "
            "repaid, disbursed, channel, channel_reference, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, 0, 0, '', '', {}) "
            "ON CONFLICT (payment_key) DO NOTHING RETURNING id",
            benefit_id,
            payment_key,
            miniapp,
            account,
            citizen_id,
            amount,
            now,
        )
        if not claimed:
            first = await fetch_one(
                "SELECT * FROM wallet_benefit WHERE payment_key = {}", payment_key
            )
            assert first is not None
            if str(first["citizen_id"]) != citizen_id or int(first["amount"]) != amount:
                raise Conflict("This payment key was already used for another payment.")
            return _paid(first, replayed=True)
        repaid = 0
        if repay_overdue_first:
            line = await lines.find_line(citizen_id)
            if line is not None and line.overdue(now):
                await lines.lock_line(citizen_id, now)
                repaid = min(amount, await dues.overdue_amount(citizen_id, now))
                await lines.adjust(citizen_id, now, outstanding=-repaid)
                await dues.pay_down(citizen_id, repaid, now)
        disbursed = amount - repaid
        channel = get_payment_channel()
        reference = ""
        if disbursed:
            reference = await channel.disburse(
                citizen_id=citizen_id, amount=disbursed, reference=benefit_id
            )
        row = await fetch_one(
            "UPDATE wallet_benefit SET repaid = {}, disbursed = {}, channel = {}, "
            "channel_reference = {} WHERE id = {} RETURNING *",
            repaid,
            disbursed,
            channel.name,
            reference[:120],
            benefit_id,
        )
        assert row is not None
        await ledger.post(
            [
                Leg("benefit", account, credit_account(citizen_id), repaid),
                Leg("benefit", account, receipts_account(citizen_id), disbursed),
                Leg("payout", receipts_account(citizen_id), FUNDING, disbursed),
            ],
            citizen_id=citizen_id,
            miniapp=miniapp,
            reference=benefit_id,
            memo=memo,
            at=now,
        )
        await events.benefit_paid(citizen_id, miniapp, benefit_id, amount, repaid, memo)
        after_commit(metrics.wallet_done("benefit", amount))
        return _paid(row, replayed=False)


async def programme_paid(miniapp: str, programme: str) -> tuple[int, int]:
    """(payments, fen) booked from a programme's account: the ledger's side of its report."""
    row = await fetch_one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM wallet_benefit "
        "WHERE account = {}",
        programme_account(miniapp, programme),
    )
    return (int(row["n"]), int(row["total"])) if row else (0, 0)

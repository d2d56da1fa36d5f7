"""Benefits paid to citizens from a mini-app's programme account (民生直达).

One call books one payment, exactly once per `payment_key`, in one transaction: the rest
after an overdue pay-later balance (repaid first when the citizen chose that) paid out
through the `PaymentChannel` (`disburse`, idempotent by reference), the claim of the key (a
unique row, `INSERT … ON CONFLICT DO NOTHING`), the repayment (oldest bills first, which
lifts a suspension), and the ledger legs:

| entry kind | from → to |
|---|---|
| benefit | `programme:<slug>:<ref>` → `citizen:<id>:credit` (the overdue part) |
| benefit | `programme:<slug>:<ref>` → `citizen:<id>:receipts` (the rest) |
| payout | `citizen:<id>:receipts` → `platform:funding` (out through the channel) |

A second call with the same key books nothing and answers the first payment (`replayed`).
A channel refusal raises `PaymentFailed` and nothing at all is written, the key included,
so that a later run may try again. The benefit id (the channel's reference) is derived from
the key, so every attempt at one payment names the same reference to the channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app import metrics
from app.database import after_commit, atomic, fetch_one
from app.errors import Conflict, FieldError, ValidationFailed
from wallet import clock, dues, events, ledger, lines
from wallet.channel import get_payment_channel
from wallet.ledger import FUNDING, Leg, credit_account, programme_account, receipts_account
from wallet.schemas import MAX_AMOUNT

_BENEFIT_IDS = uuid.UUID("6f1d2a7e-5c1b-4b8e-9a53-2f0f7f0b1e11")


def benefit_id_for(payment_key: str) -> str:
    """The same id, hence the same channel reference, for every attempt at one payment: a
    transaction that dies after the channel paid (a crash, a batch rolled back) and is tried
    again asks the channel to pay the same reference, which it must pay only once."""
    return str(uuid.uuid5(_BENEFIT_IDS, payment_key))


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
        benefit_id = benefit_id_for(payment_key)
        repaid = 0
        if repay_overdue_first:
            line = await lines.find_line(citizen_id)
            if line is not None and line.overdue(now):
                await lines.lock_line(citizen_id, now)
                repaid = min(amount, await dues.overdue_amount(citizen_id, now))
        disbursed = amount - repaid
        channel = get_payment_channel()
        # The channel before the claim, so that a payment is one insert: a replay asks the
        # channel again for the same reference, which it pays once (its contract).
        reference = ""
        if disbursed:
            reference = await channel.disburse(
                citizen_id=citizen_id, amount=disbursed, reference=benefit_id
            )
        row = await fetch_one(
            "INSERT INTO wallet_benefit (id, payment_key, miniapp, account, citizen_id, amount, "
            "repaid, disbursed, channel, channel_reference, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (payment_key) DO NOTHING RETURNING *",
            benefit_id,
            payment_key,
            miniapp,
            account,
            citizen_id,
            amount,
            repaid,
            disbursed,
            channel.name,
            reference[:120],
            now,
        )
        if row is None:
            first = await fetch_one(
                "SELECT * FROM wallet_benefit WHERE payment_key = {}", payment_key
            )
            assert first is not None
            if str(first["citizen_id"]) != citizen_id or int(first["amount"]) != amount:
                raise Conflict("This payment key was already used for another payment.")
            return _paid(first, replayed=True)
        if repaid:
            await lines.adjust(citizen_id, now, outstanding=-repaid)
            await dues.pay_down(citizen_id, repaid, now)
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

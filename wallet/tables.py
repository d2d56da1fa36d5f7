"""Wallet tables. Only the wallet package queries them.

Money columns are integer fen (BigInt). `wallet_account` balances and `credit_line` totals are
kept in the same transaction as the `wallet_transfer` rows that move them; transfers are
never updated or deleted (a correction is a new transfer).
"""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class CreditLine(Table, tablename="credit_line"):
    """One citizen's credit: the concurrency guard is a conditional UPDATE on this row."""

    citizen_id = Varchar(length=36, primary_key=True)
    credit_limit = BigInt(null=False, default=0)
    held = BigInt(null=False, default=0)
    outstanding = BigInt(null=False, default=0)
    status = Varchar(length=12, null=False, default="active")  # active | suspended
    credit_score = Integer(null=True, default=None)  # from the credit bureau at opening
    limit_source = Varchar(length=12, null=False, default="bureau")  # bureau | admin
    next_due_at = Timestamptz(null=True, default=None)  # earliest due date of an unpaid bill
    overdue_notice_at = Timestamptz(null=True, default=None)  # last overdue reminder sent
    opened_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Account(Table, tablename="wallet_account"):
    """A ledger account: a citizen's credit or holds, a merchant (mini-app), the funding bank."""

    id = Varchar(length=80, primary_key=True)  # "citizen:<id>:credit", "merchant:<slug>", …
    kind = Varchar(length=20, null=False)  # citizen_credit | citizen_holds | merchant | funding
    owner = Varchar(length=64, null=False)  # citizen id, mini-app slug or "platform"
    balance = BigInt(null=False, default=0)
    created_at = Timestamptz(null=False)


class Transfer(Table, tablename="wallet_transfer"):
    """One immutable movement of `amount` fen from one account to another."""

    seq = Serial(primary_key=True)  # insertion order: entries page by it
    id = Varchar(length=36, null=False, unique=True)
    kind = Varchar(length=12, null=False)  # hold|release|capture|charge|refund|repayment|payout
    from_account = Varchar(length=80, null=False, index=True)
    to_account = Varchar(length=80, null=False, index=True)
    amount = BigInt(null=False)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=True, default=None)  # the merchant; null for repayments
    reference = Varchar(length=36, null=False, index=True)  # hold, charge, refund or repayment
    memo = Varchar(length=200, null=False, default="")
    created_at = Timestamptz(null=False)


class Hold(Table, tablename="wallet_hold"):
    """An authorisation; `status` leaves `held` exactly once (conditional UPDATE)."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=False)
    amount = BigInt(null=False)
    memo = Varchar(length=200, null=False, default="")
    status = Varchar(length=10, null=False, default="held")  # held|captured|voided|expired
    expires_at = Timestamptz(null=False, index=True)
    expiring_notice_at = Timestamptz(null=True, default=None)
    captured = BigInt(null=False, default=0)
    released = BigInt(null=False, default=0)
    refunded = BigInt(null=False, default=0)
    created_at = Timestamptz(null=False)
    resolved_at = Timestamptz(null=True, default=None)


class Charge(Table, tablename="wallet_charge"):
    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=False)
    amount = BigInt(null=False)
    memo = Varchar(length=200, null=False, default="")
    refunded = BigInt(null=False, default=0)
    created_at = Timestamptz(null=False)


class Refund(Table, tablename="wallet_refund"):
    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=False)
    charge_id = Varchar(length=36, null=True, default=None)
    hold_id = Varchar(length=36, null=True, default=None)
    amount = BigInt(null=False)
    payout = BigInt(null=False, default=0)  # the part paid back because it was already repaid
    created_at = Timestamptz(null=False)


class Repayment(Table, tablename="wallet_repayment"):
    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    amount = BigInt(null=False)
    channel = Varchar(length=40, null=False)
    channel_reference = Varchar(length=120, null=False)
    created_at = Timestamptz(null=False)


class Bill(Table, tablename="wallet_bill"):
    """A capture or charge that falls due; repayments and refunds pay `remaining` down."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=False)
    kind = Varchar(length=10, null=False)  # capture | charge
    reference = Varchar(length=36, null=False, unique=True)  # the hold or charge id
    memo = Varchar(length=200, null=False, default="")
    amount = BigInt(null=False)
    remaining = BigInt(null=False)
    created_at = Timestamptz(null=False)
    due_at = Timestamptz(null=False, index=True)
    due_notice_at = Timestamptz(null=True, default=None)  # "falls due soon" reminder sent


class Benefit(Table, tablename="wallet_benefit"):
    """A payment to a citizen from a programme's account (民生直达), booked exactly once per
    `payment_key` (the mini-app's slug and its own key: programme, period, citizen)."""

    id = Varchar(length=36, primary_key=True)
    payment_key = Varchar(length=255, null=False, unique=True)
    miniapp = Varchar(length=64, null=False)
    account = Varchar(length=80, null=False, index=True)  # "programme:<slug>:<ref>"
    citizen_id = Varchar(length=36, null=False, index=True)
    amount = BigInt(null=False)
    repaid = BigInt(null=False, default=0)  # went to an overdue pay-later balance first
    disbursed = BigInt(null=False, default=0)  # went out through the payment channel
    channel = Varchar(length=40, null=False, default="")
    channel_reference = Varchar(length=120, null=False, default="")
    created_at = Timestamptz(null=False)

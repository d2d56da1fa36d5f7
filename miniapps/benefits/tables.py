"""Benefits' own tables (named `benefits_*`): programmes, the departments' lists, payments.

A programme's `spent` only ever grows through `UPDATE … SET spent = spent + :amount WHERE
spent + :amount <= budget`, in the payment's transaction: never over the budget whatever
the concurrency. A payment row is unique by `payment_key` (programme, period, openid): each
eligible citizen has exactly one per period, paid or failed with its reason.
"""

from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Programme(Table, tablename="benefits_programme"):
    id = Varchar(length=36, primary_key=True)
    name = Varchar(length=80, null=False)
    amount = BigInt(null=False)  # fen per person per period
    budget = BigInt(null=False)  # fen, for the programme's whole life
    spent = BigInt(null=False, default=0)  # fen paid so far (the guard)
    frequency = Varchar(length=10, null=False)  # once | monthly
    payment_day = Date(null=False)  # the (first) payment day, Asia/Shanghai
    rules = Text(null=False)  # JSON: the eligibility rules, all of which must hold
    status = Varchar(length=10, null=False, default="active")  # active | closed
    created_by = Varchar(length=40, null=False)  # the staff member's openid
    created_at = Timestamptz(null=False)


class Listed(Table, tablename="benefits_listed"):
    """A department's list: the app's keyed hash of each ID number, never the number."""

    id = Varchar(length=36, primary_key=True)
    programme_id = Varchar(length=36, null=False, index=True)
    listed_key = Varchar(length=110, null=False, unique=True)  # "<programme>:<id hash>"
    created_at = Timestamptz(null=False)


class Payment(Table, tablename="benefits_payment"):
    """One eligible citizen in one period: paid, or failed with why."""

    id = Varchar(length=36, primary_key=True)
    payment_key = Varchar(length=120, null=False, unique=True)  # programme:period:openid
    programme_id = Varchar(length=36, null=False, index=True)
    period = Varchar(length=10, null=False)  # "2026-12" (monthly) or "2026-12-07" (once)
    openid = Varchar(length=40, null=False, index=True)
    amount = BigInt(null=False)
    status = Varchar(length=8, null=False)  # paid | failed
    reason = Varchar(length=40, null=True, default=None)  # budget_exhausted | payment_failed
    attempts = Integer(null=False, default=1)
    payout_id = Varchar(length=36, null=True, default=None)  # the wallet's benefit id
    repaid = BigInt(null=False, default=0)  # went to an overdue pay-later balance
    disbursed = BigInt(null=False, default=0)  # went out through the payment channel
    created_at = Timestamptz(null=False)
    paid_at = Timestamptz(null=True, default=None)


class Period(Table, tablename="benefits_period"):
    """A programme's sweep of the directory for one period: where it got to (restartable)."""

    id = Varchar(length=50, primary_key=True)  # "<programme>:<period>"
    programme_id = Varchar(length=36, null=False, index=True)
    period = Varchar(length=10, null=False)
    resume_after = Text(null=True, default=None)  # the directory's cursor after the last page
    started_at = Timestamptz(null=False)
    completed_at = Timestamptz(null=True, default=None)


class Preference(Table, tablename="benefits_preference"):
    """A citizen's choice: a benefit first repays an overdue pay-later balance."""

    openid = Varchar(length=40, primary_key=True)
    repay_overdue_first = Boolean(null=False, default=False)
    updated_at = Timestamptz(null=False)

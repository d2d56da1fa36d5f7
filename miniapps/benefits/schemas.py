"""Benefits' request and response bodies (money in integer fen, days Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

MAX_AMOUNT = 10_000_000  # fen a person a period: 100,000 CNY
MAX_BUDGET = 1_000_000_000_000  # fen: 10 billion CNY
RegionCode = Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{5}$(?!\n)")]


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """One eligibility rule; a citizen is eligible when every rule of the programme holds.

    - `age`: aged `min_age` to `max_age` (either may be left out) on the payment day, from
      the birth date of the verified ID;
    - `region`: the verified ID's region is one of `regions` or inside one (`330100` covers
      `330106`, as for risk regions);
    - `list`: on the programme's list uploaded by the department (by ID number, kept as a
      keyed hash).
    """

    kind: Literal["age", "region", "list"]
    min_age: Annotated[int, msgspec.Meta(ge=0, le=150)] | None = None
    max_age: Annotated[int, msgspec.Meta(ge=0, le=150)] | None = None
    regions: Annotated[list[RegionCode], msgspec.Meta(min_length=1, max_length=100)] | None = None


class ProgrammeIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_AMOUNT, description="fen per person")]
    budget: Annotated[int, msgspec.Meta(ge=1, le=MAX_BUDGET, description="fen in all")]
    payment_day: Annotated[
        date, msgspec.Meta(description="the (first) payment day; monthly: its day of month")
    ]
    rules: Annotated[list[RuleIn], msgspec.Meta(min_length=1, max_length=10)]
    frequency: Literal["once", "monthly"] = "once"


class RuleOut(msgspec.Struct):
    kind: str
    min_age: int | None = None
    max_age: int | None = None
    regions: list[str] | None = None


class ProgrammeOut(msgspec.Struct):
    id: str
    name: str
    amount: int
    budget: int
    spent: int
    remaining_budget: int
    frequency: str
    payment_day: date
    rules: list[RuleOut]
    status: str
    listed: int
    created_at: datetime


class ListIn(msgspec.Struct, forbid_unknown_fields=True):
    """ID numbers the department lists; only their keyed hashes are kept."""

    id_numbers: Annotated[list[str], msgspec.Meta(min_length=1, max_length=10_000)]


class ListOut(msgspec.Struct):
    programme_id: str
    added: int
    already_listed: int
    listed: int


class RunOut(msgspec.Struct):
    programme_id: str
    due_periods: list[str]
    queued: bool


class FailureCount(msgspec.Struct):
    reason: str
    count: int


class PeriodReport(msgspec.Struct):
    period: str
    eligible: int
    paid: int
    paid_amount: int
    failed: int
    failures: list[FailureCount]
    completed_at: datetime | None


class ReportOut(msgspec.Struct):
    programme_id: str
    budget: int
    spent: int
    remaining_budget: int
    eligible: int
    paid: int
    paid_amount: int
    failed: int
    failures: list[FailureCount]
    ledger_payments: int  # what the wallet's ledger booked from the programme: matches `paid`
    ledger_amount: int  # ... and `paid_amount`, to the fen
    periods: list[PeriodReport]


class PaymentOut(msgspec.Struct):
    id: str
    programme_id: str
    programme_name: str
    period: str
    amount: int
    status: str
    reason: str | None
    repaid: int
    disbursed: int
    payout_id: str | None
    attempts: int
    created_at: datetime
    paid_at: datetime | None


class StaffPaymentOut(msgspec.Struct):
    id: str
    openid: str
    period: str
    amount: int
    status: str
    reason: str | None
    repaid: int
    disbursed: int
    payout_id: str | None
    attempts: int
    created_at: datetime
    paid_at: datetime | None


class PreferenceIn(msgspec.Struct, forbid_unknown_fields=True):
    repay_overdue_first: bool


class PreferenceOut(msgspec.Struct):
    repay_overdue_first: bool

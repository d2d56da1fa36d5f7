"""Request and response shapes of the wallet, for its own routes and the app-facing ones.

The miniapps package serves `/api/v1/apps/wallet/*` with the request Structs here and
returns the response Structs that `wallet.service` produces.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

MAX_AMOUNT = 1_000_000_000  # fen (10 million CNY): the most one operation may move
MAX_LIMIT = 10_000_000_000  # fen: the highest credit limit an admin may set
HOLD_TTL_MIN, HOLD_TTL_MAX = 60, 34_560_000  # seconds (1 minute to 400 days)

Amount = Annotated[int, msgspec.Meta(ge=1, le=MAX_AMOUNT, description="fen, positive")]
Memo = Annotated[str, msgspec.Meta(max_length=200)]
EntryKind = Literal["hold", "release", "capture", "charge", "refund", "repayment", "payout"]


# Requests ---------------------------------------------------------------------------------


class HoldRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    expires_in: Annotated[int, msgspec.Meta(ge=HOLD_TTL_MIN, le=HOLD_TTL_MAX)]
    memo: Memo = ""


class CaptureRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount


class ChargeRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    memo: Memo = ""


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    charge_id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)] | None = None
    hold_id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)] | None = None


class RepaymentRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount


class CreditLimitRequest(msgspec.Struct, forbid_unknown_fields=True):
    credit_limit: Annotated[int, msgspec.Meta(ge=0, le=MAX_LIMIT, description="fen")]


# Responses --------------------------------------------------------------------------------


class HoldCreated(msgspec.Struct):
    hold_id: str
    amount: int
    status: str
    expires_at: datetime


class HoldCaptured(msgspec.Struct):
    hold_id: str
    status: str
    captured: int
    released: int


class HoldVoided(msgspec.Struct):
    hold_id: str
    status: str


class ChargeCreated(msgspec.Struct):
    charge_id: str
    amount: int


class RefundCreated(msgspec.Struct):
    refund_id: str
    amount: int


class NextDue(msgspec.Struct):
    amount: int
    due_at: datetime


class Wallet(msgspec.Struct):
    currency: str
    credit_limit: int
    available: int
    held: int
    outstanding: int
    status: str
    next_due: NextDue | None


class Entry(msgspec.Struct):
    id: str
    kind: str
    amount: int
    memo: str
    miniapp: str | None
    created_at: datetime


class StatementItem(msgspec.Struct):
    kind: str  # capture | charge
    reference: str  # the hold or charge id
    miniapp: str
    memo: str
    amount: int
    remaining: int
    created_at: datetime


class Statement(msgspec.Struct):
    """Everything that falls due on one day (Asia/Shanghai), and what is left to pay."""

    id: str  # the due date, YYYY-MM-DD
    due_date: str  # the last day to pay (Asia/Shanghai)
    due_at: datetime  # the instant it becomes overdue
    amount: int
    remaining: int
    status: str  # open | overdue | paid
    items: list[StatementItem]

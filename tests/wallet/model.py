"""The wallet as the model-based test expects it to behave: plain Python, no database.

It predicts every outcome (accepted, or which refusal) and every figure (limit, held,
outstanding, what each bill still owes) from the contract alone: API.md's `available` rule,
holds resolving once, refunds capped by what was taken and paid out beyond what is owed,
repayments paying the oldest bill first, overdue suspending the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from wallet.dues import due_at_for


@dataclass
class ModelHold:
    amount: int
    expires_at: datetime
    status: str = "held"
    captured: int = 0
    refunded: int = 0


@dataclass
class ModelCharge:
    amount: int
    refunded: int = 0


@dataclass
class ModelBill:
    reference: str
    due_at: datetime
    remaining: int


@dataclass
class WalletModel:
    limit: int
    holds: dict[str, ModelHold] = field(default_factory=dict)
    charges: dict[str, ModelCharge] = field(default_factory=dict)
    bills: list[ModelBill] = field(default_factory=list)  # in the order they were made
    outstanding: int = 0

    @property
    def held(self) -> int:
        return sum(h.amount for h in self.holds.values() if h.status == "held")

    @property
    def headroom(self) -> int:
        return self.limit - self.outstanding - self.held

    @property
    def available(self) -> int:
        return max(0, self.headroom)

    def overdue(self, now: datetime) -> bool:
        return any(b.remaining > 0 and b.due_at <= now for b in self.bills)

    def refusal(self, amount: int, now: datetime) -> str | None:
        """Why a new hold or charge of `amount` must be refused, if it must."""
        if self.overdue(now):
            return "wallet_suspended"
        if self.headroom < amount:
            return "credit_limit_exceeded"
        return None

    def bill(self, reference: str, amount: int, now: datetime) -> None:
        self.outstanding += amount
        self.bills.append(ModelBill(reference, due_at_for(now), amount))

    def pay_down(self, amount: int, first: str | None = None) -> None:
        self.outstanding -= amount
        order = sorted(self.bills, key=lambda b: b.reference != first)  # stable: oldest next
        for bill in order:
            take = min(amount, bill.remaining)
            bill.remaining -= take
            amount -= take
        assert amount == 0, "the model's bills do not cover what is outstanding"

    def refundable(self, reference: str) -> int:
        if reference in self.charges:
            charge = self.charges[reference]
            return charge.amount - charge.refunded
        hold = self.holds[reference]
        return hold.captured - hold.refunded

    def refund(self, reference: str, amount: int) -> int:
        """Book a refund; returns the part paid out (beyond what is still owed)."""
        if reference in self.charges:
            self.charges[reference].refunded += amount
        else:
            self.holds[reference].refunded += amount
        reduce = min(amount, self.outstanding)
        self.pay_down(reduce, first=reference)
        return amount - reduce

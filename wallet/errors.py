"""The wallet's failures, each with its HTTP status and stable code (API.md)."""

from __future__ import annotations

from app.errors import Conflict, ProblemError


class CreditLimitExceeded(ProblemError):
    status, code, title = 402, "credit_limit_exceeded", "Credit limit exceeded"


class WalletSuspended(ProblemError):
    status, code, title = 402, "wallet_suspended", "Wallet suspended for an overdue bill"


class HoldNotOpen(Conflict):
    code, title = "hold_not_open", "The hold is already captured, voided or expired"


class RefundExceedsCharge(ProblemError):
    status, code, title = 422, "refund_exceeds_charge", "Refund exceeds what was taken"


class Overpayment(ProblemError):
    status, code, title = 422, "overpayment", "Repayment exceeds what is owed"


class PaymentFailed(ProblemError):
    """The payment channel refused the money; nothing was booked."""

    status, code, title = 402, "payment_failed", "The payment did not go through"

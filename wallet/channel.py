"""How a repayment's money arrives: the `PaymentChannel` interface.

Adapter point: install a real channel (a bank or payment-network client) with
`set_payment_channel()` at start-up. `collect()` runs inside the repayment's transaction,
after the amount has been checked against what is owed and before anything is booked; it
either returns the channel's own reference for the payment or raises `PaymentFailed`, in
which case nothing is booked. A real channel must be idempotent by `reference` (the
repayment id, unique forever), so that a retried repayment can never take money twice; a
channel that confirms asynchronously should book the repayment from its confirmation
callback instead, through the same `wallet.service.repay`.
"""

from __future__ import annotations

from typing import Protocol

from wallet.errors import PaymentFailed


class PaymentChannel(Protocol):
    name: str

    async def collect(self, *, citizen_id: str, amount: int, reference: str) -> str:
        """Take `amount` fen from the citizen; return the channel's payment reference."""
        ...

    async def disburse(self, *, citizen_id: str, amount: int, reference: str) -> str:
        """Pay `amount` fen out to the citizen (a benefit); return the channel's reference.

        Production: the bank or treasury channel paying the citizen's social-security card
        account; idempotent by `reference` (the benefit id, unique forever). Raise
        `PaymentFailed` when it is refused: nothing is booked."""
        ...


class SimulatedChannel:
    """The development channel: every payment succeeds at once (tests may make it refuse)."""

    name = "simulated"

    def __init__(self) -> None:
        self.refuse = False
        self.payments = 0  # how many went through (tests look)
        self.disbursed: list[tuple[str, int, str]] = []  # (citizen, fen, reference), recorded
        self._paid: set[str] = set()

    async def collect(self, *, citizen_id: str, amount: int, reference: str) -> str:
        if self.refuse:
            raise PaymentFailed("The bank refused the payment; nothing was taken.")
        self.payments += 1
        return f"sim_{reference}"

    async def disburse(self, *, citizen_id: str, amount: int, reference: str) -> str:
        if self.refuse:
            raise PaymentFailed("The bank refused the payment; nothing was paid.")
        if reference not in self._paid:  # idempotent by reference, as a real channel must be
            self._paid.add(reference)
            self.disbursed.append((citizen_id, amount, reference))
        return f"sim_out_{reference}"


_channel: PaymentChannel | None = None


def get_payment_channel() -> PaymentChannel:
    global _channel
    if _channel is None:
        _channel = SimulatedChannel()
    return _channel


def set_payment_channel(channel: PaymentChannel | None) -> None:
    """Install a real channel (None restores the simulated one)."""
    global _channel
    _channel = channel

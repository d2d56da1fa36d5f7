"""Citizens with a chosen birth date and region, and the wallet's side of a benefit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, Citizen, new_id_number


async def person(api: Api, born: date, region: str = "330106") -> Citizen:
    """A verified citizen whose ID says born on `born` in `region`."""
    citizen = await api.login()
    number = new_id_number(region=region, birth=born.strftime("%Y%m%d"))
    response = await api.client.post(
        "/api/v1/me/real-name", json={"name": "钱七", "id_number": number}, headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    citizen.id_number, citizen.name = number, "钱七"
    return citizen


async def benefits_of(api: Api, citizen: Citizen) -> list[dict[str, Any]]:
    """The wallet's benefit rows of a citizen (what the ledger booked, once per key)."""
    return await db_fetch(
        api.client, "SELECT * FROM wallet_benefit WHERE citizen_id = {}", citizen.id
    )


async def ledger_problems(api: Api) -> list[str]:
    from tests.wallet.checks import ledger_problems as problems

    return await in_app(api.client, problems)


@contextmanager
def channel(refuse: bool = False, crash_after: int | None = None) -> Iterator[Any]:
    """A recording payment channel for the block (idempotent by reference, like a bank):
    it refuses, or the process dies once, after N payouts."""
    from wallet.channel import SimulatedChannel, set_payment_channel
    from wallet.errors import PaymentFailed

    class Recording(SimulatedChannel):
        died: bool

        async def disburse(self, *, citizen_id: str, amount: int, reference: str) -> str:
            if crash_after is not None and len(self.disbursed) >= crash_after and not self.died:
                self.died = True
                raise RuntimeError("the process died here")
            if self.refuse:
                raise PaymentFailed("The bank refused the payment; nothing was paid.")
            return await super().disburse(citizen_id=citizen_id, amount=amount, reference=reference)

    recording = Recording()
    recording.died = False
    recording.refuse = refuse
    set_payment_channel(recording)
    try:
        yield recording
    finally:
        set_payment_channel(None)

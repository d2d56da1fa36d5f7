"""The double-entry ledger: accounts, immutable transfers, and the balances they move.

Every movement is a transfer of a positive `amount` from one account to another, so the sum
of all balances is zero at every commit. `post()` writes the transfers and moves the balances
in the caller's transaction; balances are touched in account-id order, so that two
transactions sharing accounts (a merchant, the funding account) never deadlock on PostgreSQL.

Accounts:
- `citizen:<id>:credit`: the citizen's credit; its balance is −(outstanding + held);
- `citizen:<id>:holds`: what is authorised but not yet captured (= held);
- `merchant:<slug>`: what a mini-app has earned (captures and charges, less refunds);
- `platform:funding`: the outside world; repayments come from it, payouts go back to it;
- `programme:<slug>:<ref>`: a mini-app's paying programme (benefits); −(what it paid);
- `citizen:<id>:receipts`: a benefit on its way through the payment channel (always 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.database import fetch
from app.security import new_id

FUNDING = "platform:funding"


def credit_account(citizen_id: str) -> str:
    return f"citizen:{citizen_id}:credit"


def holds_account(citizen_id: str) -> str:
    return f"citizen:{citizen_id}:holds"


def merchant_account(miniapp: str) -> str:
    return f"merchant:{miniapp}"


def receipts_account(citizen_id: str) -> str:
    """Where a benefit lands before the channel pays it out: its balance is always 0."""
    return f"citizen:{citizen_id}:receipts"


def programme_account(miniapp: str, ref: str) -> str:
    """A mini-app's paying programme (民生直达): its balance is −(what it has paid)."""
    return f"programme:{miniapp}:{ref}"


def _kind_and_owner(account: str) -> tuple[str, str]:
    prefix, _, rest = account.partition(":")
    if prefix == "citizen":
        owner, _, which = rest.rpartition(":")
        return f"citizen_{which}", owner
    if prefix == "merchant":
        return "merchant", rest
    if prefix == "programme":
        return "programme", rest
    return "funding", "platform"


@dataclass(frozen=True)
class Leg:
    """One transfer to book: `amount` fen from `source` to `target`, of an entry `kind`."""

    kind: str
    source: str
    target: str
    amount: int


async def post(
    legs: list[Leg],
    *,
    citizen_id: str,
    miniapp: str | None,
    reference: str,
    memo: str,
    at: datetime,
    guard: Callable[[], Awaitable[None]] | None = None,
) -> list[str]:
    """Inside atomic(): book the legs (zero amounts are skipped); returns the transfer ids.

    The transfer rows go in first and the balances last: on PostgreSQL a balance update
    row-locks its account until commit, so the hot rows stay locked for as few round trips as
    possible. `guard` (the credit line's conditional UPDATE, which locks that row) runs in
    between, after the rows that lock nothing: one citizen's holds queue on it for two
    statements and the commit, not five."""
    legs = [leg for leg in legs if leg.amount != 0]
    if not legs:
        if guard is not None:
            await guard()
        return []
    if any(leg.amount < 0 for leg in legs):
        raise ValueError("a transfer amount is never negative")
    deltas: dict[str, int] = defaultdict(int)
    for leg in legs:
        deltas[leg.source] -= leg.amount
        deltas[leg.target] += leg.amount
    ids = [new_id() for _ in legs]
    values: list[Any] = []
    for transfer_id, leg in zip(ids, legs, strict=True):
        values += [transfer_id, leg.kind, leg.source, leg.target, leg.amount]
        values += [citizen_id, miniapp, reference, memo[:200], at]
    row = "(" + ", ".join(["{}"] * 10) + ")"
    await fetch(
        "INSERT INTO wallet_transfer (id, kind, from_account, to_account, amount, citizen_id, "
        "miniapp, reference, memo, created_at) VALUES " + ", ".join([row] * len(legs)),
        *values,
    )
    if guard is not None:
        await guard()
    accounts: list[Any] = []
    for account in sorted(deltas):  # one statement; rows lock in this order on PostgreSQL
        accounts += [account, *_kind_and_owner(account), deltas[account], at]
    await fetch(
        "INSERT INTO wallet_account (id, kind, owner, balance, created_at) VALUES "
        + ", ".join(["({}, {}, {}, {}, {})"] * len(deltas))
        + " ON CONFLICT (id) DO UPDATE SET balance = wallet_account.balance + excluded.balance",
        *accounts,
    )
    return ids


async def entries(citizen_id: str, limit: int, before_seq: int | None) -> list[dict[str, Any]]:
    """The citizen's transfers, newest first (one more than `limit`, to tell if more exist)."""
    if before_seq is None:
        return await fetch(
            "SELECT seq, id, kind, amount, memo, miniapp, created_at FROM wallet_transfer "
            f"WHERE citizen_id = {{}} ORDER BY seq DESC LIMIT {int(limit) + 1}",
            citizen_id,
        )
    return await fetch(
        "SELECT seq, id, kind, amount, memo, miniapp, created_at FROM wallet_transfer "
        f"WHERE citizen_id = {{}} AND seq < {{}} ORDER BY seq DESC LIMIT {int(limit) + 1}",
        citizen_id,
        before_seq,
    )

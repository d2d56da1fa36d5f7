"""The sandbox: made-up citizens and a wallet that moves no real credit.

An app's developer creates sandbox citizens for it in any review status and gets, for each,
an authorization code to exchange like a real one. Tokens of sandbox citizens reach only
this module: their profile, colour and identity are invented, and their holds and charges
are rows here, never ledger transfers. Ids carry the `sbx-` prefix so that a capture, void or
refund by the app's own token finds its way here too. Sandbox events (`hold.captured`,
`hold.voided`, `refund.created`) are published with `"sandbox": true` so webhooks can be tested.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.database import atomic, fetch, fetch_one, is_postgres
from app.errors import FieldError, NotFound, ValidationFailed
from miniapps.schemas import CaptureOut, ChargeOut, HoldOut, RefundOut, VoidOut
from miniapps.service import as_utc, now
from wallet.errors import CreditLimitExceeded, HoldNotOpen, RefundExceedsCharge

PREFIX = "sbx-"


def is_sandbox_id(entity_id: str) -> bool:
    return entity_id.startswith(PREFIX)


def sandbox_id(kind: str) -> str:
    return f"{PREFIX}{kind}-{uuid.uuid4().hex}"


def notification_id() -> str:
    return sandbox_id("n")


async def _citizen(citizen_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, colour, credit_limit FROM miniapp_sandbox_citizen WHERE id = {}",
        citizen_id,
    )
    if row is None:
        raise NotFound("No such sandbox citizen.")
    return row


async def masked_name(citizen_id: str) -> str:
    name = str((await _citizen(citizen_id))["name"])
    return name[0] + "*" * (len(name) - 1)


async def real_name(citizen_id: str) -> str:
    return str((await _citizen(citizen_id))["name"])


async def colour(citizen_id: str) -> str:
    return str((await _citizen(citizen_id))["colour"])


async def _publish(kind: str, slug: str, data: dict[str, Any]) -> None:
    from notifications.outbox import publish

    await publish(
        kind,
        citizen_id=None,
        title=kind,
        body="sandbox",
        miniapp=slug,
        data={**data, "sandbox": True},
    )


async def _take(slug: str, citizen_id: str, amount: int) -> None:
    """Refuse what the sandbox citizen's made-up credit line cannot cover."""
    lock = " FOR UPDATE" if is_postgres() else ""
    row = await fetch_one(
        f"SELECT credit_limit FROM miniapp_sandbox_citizen WHERE id = {{}} AND slug = {{}}{lock}",
        citizen_id,
        slug,
    )
    if row is None:
        raise NotFound("No such sandbox citizen.")
    used = await fetch_one(
        "SELECT COALESCE(SUM(CASE WHEN status = 'held' AND expires_at > {} THEN amount "
        "ELSE captured - refunded END), 0) AS used "
        "FROM miniapp_sandbox_entry WHERE sandbox_citizen_id = {}",
        now(),
        citizen_id,
    )
    if int(row["credit_limit"]) - int(used["used"] if used else 0) < amount:
        raise CreditLimitExceeded("The sandbox citizen's credit line cannot cover this.")


async def create_hold(
    slug: str, citizen_id: str, amount: int, memo: str, expires_in: int
) -> HoldOut:
    hold_id, expires_at = sandbox_id("h"), now() + timedelta(seconds=expires_in)
    async with atomic():
        await _take(slug, citizen_id, amount)
        await fetch(
            "INSERT INTO miniapp_sandbox_entry (id, slug, sandbox_citizen_id, kind, amount, "
            "captured, refunded, status, memo, expires_at, created_at) "
            "VALUES ({}, {}, {}, 'hold', {}, 0, 0, 'held', {}, {}, {})",
            hold_id,
            slug,
            citizen_id,
            amount,
            memo,
            expires_at,
            now(),
        )
    return HoldOut(hold_id, amount, "held", expires_at)


async def charge(slug: str, citizen_id: str, amount: int, memo: str) -> ChargeOut:
    charge_id = sandbox_id("c")
    async with atomic():
        await _take(slug, citizen_id, amount)
        await fetch(
            "INSERT INTO miniapp_sandbox_entry (id, slug, sandbox_citizen_id, kind, amount, "
            "captured, refunded, status, memo, created_at) "
            "VALUES ({}, {}, {}, 'charge', {}, {}, 0, 'charged', {}, {})",
            charge_id,
            slug,
            citizen_id,
            amount,
            amount,
            memo,
            now(),
        )
    return ChargeOut(charge_id, amount)


async def _open_hold(slug: str, hold_id: str) -> dict[str, Any]:
    found = await fetch_one(
        "SELECT id, amount, status, expires_at FROM miniapp_sandbox_entry "
        "WHERE id = {} AND slug = {} AND kind = 'hold'",
        hold_id,
        slug,
    )
    if found is None:
        raise NotFound("No such hold.")
    row = dict(found)  # PostgreSQL rows are read-only records
    if row["status"] == "held" and as_utc(row["expires_at"]) <= now():
        await fetch("UPDATE miniapp_sandbox_entry SET status = 'expired' WHERE id = {}", hold_id)
        row["status"] = "expired"
    if row["status"] != "held":
        raise HoldNotOpen(f"This hold is already {row['status']}.")
    return row


async def capture(slug: str, hold_id: str, amount: int) -> CaptureOut:
    async with atomic():
        row = await _open_hold(slug, hold_id)
        if amount > int(row["amount"]):
            raise ValidationFailed(errors=[FieldError("amount", "more than the hold")])
        await fetch(
            "UPDATE miniapp_sandbox_entry SET status = 'captured', captured = {} WHERE id = {}",
            amount,
            hold_id,
        )
        released = int(row["amount"]) - amount
        await _publish(
            "hold.captured", slug, {"hold_id": hold_id, "captured": amount, "released": released}
        )
    return CaptureOut(hold_id, "captured", amount, released)


async def void(slug: str, hold_id: str) -> VoidOut:
    async with atomic():
        await _open_hold(slug, hold_id)
        await fetch("UPDATE miniapp_sandbox_entry SET status = 'voided' WHERE id = {}", hold_id)
        await _publish("hold.voided", slug, {"hold_id": hold_id})
    return VoidOut(hold_id, "voided")


async def refund(
    slug: str, amount: int, *, charge_id: str | None, hold_id: str | None
) -> RefundOut:
    entry_id = charge_id or hold_id or ""
    refund_id = sandbox_id("r")
    async with atomic():
        row = await fetch_one(
            "UPDATE miniapp_sandbox_entry SET refunded = refunded + {} "
            "WHERE id = {} AND slug = {} AND kind = {} AND status IN ('charged', 'captured') "
            "AND captured - refunded >= {} RETURNING id",
            amount,
            entry_id,
            slug,
            "charge" if charge_id else "hold",
            amount,
        )
        if row is None:
            exists = await fetch_one(
                "SELECT status FROM miniapp_sandbox_entry WHERE id = {} AND slug = {}",
                entry_id,
                slug,
            )
            if exists is None:
                raise NotFound("No such charge or captured hold.")
            raise RefundExceedsCharge(
                "That is more than was charged or captured, less what was refunded."
            )
        await _publish("refund.created", slug, {"refund_id": refund_id, "amount": amount})
    return RefundOut(refund_id, amount)

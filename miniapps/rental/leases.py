"""Leases: the landlord offers one to a visitor, the tenant signs it with a credit hold as
the deposit (for the whole term), and the landlord ends it at move-out, voiding the hold.

Signing is one transaction: the home taken (`listed` → `leased`, a conditional UPDATE, so
two tenants can never both sign), the tenant registered (real name, sealed with the app's own
key for that lease, and per-app ID hash, as the law asks of landlords), the deposit held. A
refused hold leaves nothing behind.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from miniapps.rental.errors import (
    LeaseNotActive,
    LeaseNotOffered,
    ListingUnavailable,
    OfferExpired,
    ViewingNotBooked,
)
from miniapps.rental.months import add_months
from miniapps.rental.pages import cursor_key, cursor_time
from miniapps.rental.schemas import (
    MAX_START_DAYS,
    LeaseOffer,
    LeaseOut,
    RegisterEntry,
    RentChargeOut,
)
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    NotFound,
    ProblemError,
    ValidationFailed,
    as_date,
    as_utc,
    atomic,
    day_start,
    encode_cursor,
    fetch,
    fetch_one,
    local_today,
    maybe_utc,
    new_id,
    now,
)

# The deposit hold outlives the term by a week, time for the move-out inspection.
DEPOSIT_GRACE = timedelta(days=7)


def register_purpose(lease_id: str) -> str:
    """What a lease's tenant name is sealed for: that lease's register line, nothing else."""
    return f"tenant-register:{lease_id}"


def _charges_out(rows: list[dict[str, Any]]) -> dict[str, list[RentChargeOut]]:
    by_lease: dict[str, list[RentChargeOut]] = {}
    for row in rows:
        by_lease.setdefault(str(row["lease_id"]), []).append(
            RentChargeOut(
                month=int(row["month"]) + 1,
                due_on=as_date(row["due_on"]),
                amount=int(row["amount"]),
                charge_id=str(row["charge_id"]),
                charged_at=as_utc(row["charged_at"]),
            )
        )
    return by_lease


def _lease_out(row: dict[str, Any], charges: list[RentChargeOut]) -> LeaseOut:
    start = as_date(row["start_date"])
    next_month = row["next_rent_month"]
    return LeaseOut(
        id=str(row["id"]),
        listing_id=str(row["listing_id"]),
        status=row["status"],
        start_date=start,
        end_date=as_date(row["end_date"]),
        months=int(row["months"]),
        rent_amount=int(row["rent_amount"]),
        deposit_amount=int(row["deposit_amount"]),
        deposit_hold_id=row["deposit_hold_id"],
        deposit_expires_at=maybe_utc(row["deposit_expires_at"]),
        next_rent_due_on=(
            add_months(start, int(next_month))
            if next_month is not None and row["status"] == "active"
            else None
        ),
        last_rent_failure=row["last_rent_failure"],
        rent_charges=sorted(charges, key=lambda charge: charge.month),
        created_at=as_utc(row["created_at"]),
        signed_at=maybe_utc(row["signed_at"]),
        ended_at=maybe_utc(row["ended_at"]),
    )


async def leases_out(rows: list[dict[str, Any]]) -> list[LeaseOut]:
    """Leases with their rent charges, in one query for the whole page."""
    if not rows:
        return []
    ids = [str(row["id"]) for row in rows]
    charges = _charges_out(
        await fetch(
            "SELECT * FROM rental_rent_charge WHERE lease_id IN ("
            + ", ".join("{}" for _ in ids)
            + ")",
            *ids,
        )
    )
    return [_lease_out(row, charges.get(str(row["id"]), [])) for row in rows]


async def _party_lease(openid: str, lease_id: str, role: str) -> dict[str, Any]:
    column = "landlord_openid" if role == "landlord" else "tenant_openid"
    row = await fetch_one(
        f"SELECT * FROM rental_lease WHERE id = {{}} AND {column} = {{}}", lease_id, openid
    )
    if row is None:
        raise NotFound("No such lease.")
    return row


async def offer(openid: str, data: LeaseOffer) -> LeaseOut:
    """The landlord offers a lease to someone who booked a viewing of the home."""
    viewing = await fetch_one(
        "SELECT * FROM rental_viewing WHERE id = {} AND landlord_openid = {}",
        data.viewing_id,
        openid,
    )
    if viewing is None:
        raise NotFound("No such viewing of your homes.")
    if viewing["status"] != "booked":
        raise ViewingNotBooked("The viewing was cancelled; the visitor must book again.")
    today = local_today()
    if not today <= data.start_date <= today + timedelta(days=MAX_START_DAYS):
        raise ValidationFailed(
            errors=[FieldError("start_date", f"must be from today to {MAX_START_DAYS} days on")]
        )
    async with atomic():
        listing = await fetch_one(
            "SELECT * FROM rental_listing WHERE id = {}", viewing["listing_id"]
        )
        assert listing is not None
        if listing["status"] != "listed":
            raise ListingUnavailable("This home is already let.")
        row = await fetch_one(
            "INSERT INTO rental_lease (id, listing_id, viewing_id, landlord_openid, "
            "tenant_openid, status, start_date, end_date, months, rent_amount, deposit_amount, "
            "deposit_hold_id, deposit_expires_at, tenant_real_name_sealed, tenant_id_hash, "
            "next_rent_month, next_rent_due_at, last_rent_failure, created_at, signed_at, "
            "ended_at) VALUES ({}, {}, {}, {}, {}, 'offered', {}, {}, {}, {}, {}, NULL, NULL, "
            "NULL, NULL, NULL, NULL, NULL, {}, NULL, NULL) RETURNING *",
            new_id(),
            listing["id"],
            viewing["id"],
            openid,
            viewing["visitor_openid"],
            data.start_date.isoformat(),
            add_months(data.start_date, data.months).isoformat(),
            data.months,
            listing["rent_amount"],
            listing["deposit_amount"],
            now(),
        )
    assert row is not None
    return (await leases_out([row]))[0]


async def sign(ctx: MiniAppContext, lease_id: str) -> LeaseOut:
    """Inside a transaction: the tenant signs; the deposit becomes a hold for the term."""
    openid = ctx.require_citizen()
    lease = await _party_lease(openid, lease_id, "tenant")
    if lease["status"] != "offered":
        raise LeaseNotOffered("This lease is already signed or ended.")
    start = as_date(lease["start_date"])
    if start < local_today():
        raise OfferExpired("The start date has passed; ask the landlord for a new offer.")
    tenant = await ctx.identity.real_identity()  # 403 unless real-name and shared
    taken = await fetch_one(
        "UPDATE rental_listing SET status = 'leased' WHERE id = {} AND status = 'listed' "
        "RETURNING id",
        lease["listing_id"],
    )
    if taken is None:
        raise ListingUnavailable("Someone else signed for this home first.")
    signed_at = now()
    hold_id, expires_at = None, None
    deposit = int(lease["deposit_amount"])
    if deposit > 0:
        until = day_start(as_date(lease["end_date"])) + DEPOSIT_GRACE
        held = await ctx.wallet.hold(
            deposit, f"押金 租约 {lease_id[:8]}", math.ceil((until - signed_at).total_seconds())
        )
        hold_id, expires_at = held.hold_id, held.expires_at
    row = await fetch_one(
        "UPDATE rental_lease SET status = 'active', deposit_hold_id = {}, "
        "deposit_expires_at = {}, tenant_real_name_sealed = {}, tenant_id_hash = {}, "
        "next_rent_month = 0, next_rent_due_at = {}, signed_at = {} "
        "WHERE id = {} AND status = 'offered' RETURNING *",
        hold_id,
        expires_at,
        ctx.seal(tenant.real_name, register_purpose(lease_id)),
        tenant.id_hash,
        day_start(start),
        signed_at,
        lease_id,
    )
    if row is None:
        raise LeaseNotOffered("This lease was signed meanwhile.")
    return (await leases_out([row]))[0]


async def move_out(ctx: MiniAppContext, lease_id: str) -> LeaseOut:
    """Inside a transaction: the landlord ends the lease; the deposit hold is voided."""
    openid = ctx.require_citizen()
    lease = await _party_lease(openid, lease_id, "landlord")
    row = await fetch_one(
        "UPDATE rental_lease SET status = 'ended', ended_at = {}, next_rent_due_at = NULL "
        "WHERE id = {} AND status = 'active' RETURNING *",
        now(),
        lease_id,
    )
    if row is None:
        raise LeaseNotActive("Only a running lease can end.")
    await fetch("UPDATE rental_listing SET status = 'listed' WHERE id = {}", lease["listing_id"])
    if lease["deposit_hold_id"]:
        try:
            await ctx.as_merchant().wallet.void(str(lease["deposit_hold_id"]))
        except ProblemError as error:
            if error.code != "hold_not_open":  # expired already: nothing is held any more
                raise
    return (await leases_out([row]))[0]


async def get_lease(openid: str, lease_id: str) -> LeaseOut:
    row = await fetch_one(
        "SELECT * FROM rental_lease WHERE id = {} AND (tenant_openid = {} OR landlord_openid = {})",
        lease_id,
        openid,
        openid,
    )
    if row is None:
        raise NotFound("No such lease.")
    return (await leases_out([row]))[0]


async def list_leases(
    openid: str, role: str, limit: int, cursor: str | None
) -> tuple[list[LeaseOut], str | None]:
    """The tenant's leases or the landlord's, newest first."""
    column = "landlord_openid" if role == "landlord" else "tenant_openid"
    after = cursor_key(cursor, str, str)
    args: list[object] = [openid]
    keyset = ""
    if after is not None:
        at = cursor_time(after[0])
        keyset = "AND (created_at < {} OR (created_at = {} AND id < {})) "
        args += [at, at, after[1]]
    rows = await fetch(
        f"SELECT * FROM rental_lease WHERE {column} = {{}} {keyset}"
        "ORDER BY created_at DESC, id DESC LIMIT {}",
        *args,
        limit + 1,
    )
    page = await leases_out(rows[:limit])
    more = len(rows) > limit
    return page, (encode_cursor(page[-1].created_at.isoformat(), page[-1].id) if more else None)


async def tenant_register(
    ctx: MiniAppContext, limit: int, cursor: str | None
) -> tuple[list[RegisterEntry], str | None]:
    """Every tenant the signed-in landlord has let to, with their real name (the law's
    register), each opened here from the lease it was sealed for."""
    openid = ctx.require_citizen()
    after = cursor_key(cursor, str, str)
    args: list[object] = [openid]
    keyset = ""
    if after is not None:
        at = cursor_time(after[0])
        keyset = "AND (l.signed_at < {} OR (l.signed_at = {} AND l.id < {})) "
        args += [at, at, after[1]]
    rows = await fetch(
        "SELECT l.*, s.address FROM rental_lease l JOIN rental_listing s ON s.id = l.listing_id "
        f"WHERE l.landlord_openid = {{}} AND l.signed_at IS NOT NULL {keyset}"
        "ORDER BY l.signed_at DESC, l.id DESC LIMIT {}",
        *args,
        limit + 1,
    )
    page = [
        RegisterEntry(
            lease_id=str(row["id"]),
            listing_id=str(row["listing_id"]),
            address=str(row["address"]),
            tenant_real_name=ctx.unseal(
                str(row["tenant_real_name_sealed"]), register_purpose(str(row["id"]))
            ),
            tenant_id_hash=str(row["tenant_id_hash"]),
            start_date=as_date(row["start_date"]),
            end_date=as_date(row["end_date"]),
            signed_at=as_utc(row["signed_at"]),
            ended_at=maybe_utc(row["ended_at"]),
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    return page, (
        encode_cursor(page[-1].signed_at.isoformat(), page[-1].lease_id) if more else None
    )

"""The hospital's side: the health code as the medical card, charges, settlement, cancelling.

Charges stop at the amount held (409 `bill_exceeds_estimate`), so settlement is always one
capture of the total, the rest released; the bill then falls due under the wallet's rules.
Each write is one transaction: the visit, its charges and the hold agree or nothing changed.
"""

from __future__ import annotations

from typing import Any

from miniapps.medical.common import hospital_of
from miniapps.medical.errors import (
    BillExceedsEstimate,
    VisitHasCharges,
    VisitNotOpen,
)
from miniapps.medical.schemas import CardScanOut, ChargeOut, VisitOut
from miniapps.medical.visits import VISIT_SQL, visit, visits_out
from miniapps.sdk import (
    Device,
    MiniAppContext,
    NotFound,
    atomic,
    fetch,
    fetch_one,
    local_today,
    new_id,
    now,
    scan_refused,
)


async def scan_card(device: Device, code: str) -> CardScanOut:
    """The health code as the medical card: any colour is seen (fever clinics)."""
    hospital = await hospital_of(device.venue_id)
    scan = await device.scan(code, scopes=("healthcode.read",))
    if scan.citizen is None:
        raise scan_refused(scan.deny_reason, holder="patient")
    openid = scan.citizen.require_citizen()
    row = await fetch_one(
        VISIT_SQL + "WHERE v.hospital = {} AND v.openid = {} AND v.visit_day = {} "
        "AND v.status = 'registered' ORDER BY v.created_at DESC",
        hospital["id"],
        openid,
        local_today(),
    )
    visit = (await visits_out([row]))[0] if row is not None else None
    return CardScanOut(colour=scan.colour, visit=visit)


async def _open_visit(hospital_id: str, visit_id: str) -> None:
    """Raise the right error for a visit that the guarded UPDATE did not find open."""
    row = await fetch_one(
        "SELECT status FROM medical_visit WHERE id = {} AND hospital = {}", visit_id, hospital_id
    )
    if row is None:
        raise NotFound("No such visit at this hospital.")
    if row["status"] != "registered":
        raise VisitNotOpen(f"This visit is already {row['status']}.")


async def add_charge(device: Device, visit_id: str, item: str, amount: int) -> ChargeOut:
    hospital = await hospital_of(device.venue_id)
    async with atomic():
        row = await fetch_one(
            "UPDATE medical_visit SET total = total + {} WHERE id = {} AND hospital = {} "
            "AND status = 'registered' AND total + {} <= estimate RETURNING total, estimate",
            amount,
            visit_id,
            hospital["id"],
            amount,
        )
        if row is None:
            await _open_visit(hospital["id"], visit_id)
            raise BillExceedsEstimate(
                "This charge would take the bill past the amount held at registration."
            )
        charge = ChargeOut(new_id(), item, amount, now())
        await fetch(
            "INSERT INTO medical_charge (id, visit, item, amount, gate_id, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {})",
            charge.id,
            visit_id,
            item,
            amount,
            device.gate_id,
            charge.created_at,
        )
    return charge


async def _close(
    hospital_id: str | None, visit_id: str, status: str, where: str, *args: Any
) -> dict[str, Any] | None:
    """Close an open visit (the guard: `status = 'registered'`); None when none matched."""
    scope = "" if hospital_id is None else " AND hospital = {}"
    return await fetch_one(
        "UPDATE medical_visit SET status = {}, open_key = NULL, closed_at = {} "
        f"WHERE id = {{}} AND status = 'registered'{scope}{where} "
        "RETURNING hold_id, total, estimate",
        status,
        now(),
        visit_id,
        *([] if hospital_id is None else [hospital_id]),
        *args,
    )


async def settle(ctx: MiniAppContext, device: Device, visit_id: str) -> VisitOut:
    """Capture the bill (the rest of the hold is released); an empty bill voids the hold."""
    hospital = await hospital_of(device.venue_id)
    async with atomic():
        row = await _close(hospital["id"], visit_id, "settled", "")
        if row is None:
            await _open_visit(hospital["id"], visit_id)
            raise VisitNotOpen("This visit is no longer open.")
        total, hold_id = int(row["total"]), str(row["hold_id"])
        if total > 0:
            captured = await ctx.as_merchant().wallet.capture(hold_id, total)
            taken, released = captured.captured, captured.released
        else:
            await ctx.as_merchant().wallet.void(hold_id)
            taken, released = 0, int(row["estimate"])
        await fetch(
            "UPDATE medical_visit SET captured = {}, released = {} WHERE id = {}",
            taken,
            released,
            visit_id,
        )
        return await visit("v.id = {}", visit_id)


async def cancel(
    ctx: MiniAppContext, visit_id: str, *, device: Device | None, openid: str | None
) -> VisitOut:
    """Void the hold: a citizen may cancel only before any charge; a hospital device always."""
    hospital_id = str((await hospital_of(device.venue_id))["id"]) if device else None
    where, args = ("", []) if openid is None else (" AND openid = {} AND total = 0", [openid])
    async with atomic():
        row = await _close(hospital_id, visit_id, "cancelled", where, *args)
        if row is None:
            raise await _why_not_cancelled(visit_id, hospital_id, openid)
        await ctx.as_merchant().wallet.void(str(row["hold_id"]))
        await fetch("UPDATE medical_visit SET released = estimate WHERE id = {}", visit_id)
        return await visit("v.id = {}", visit_id)


async def _why_not_cancelled(
    visit_id: str, hospital_id: str | None, openid: str | None
) -> Exception:
    found = await fetch_one(
        "SELECT status, total, openid, hospital FROM medical_visit WHERE id = {}", visit_id
    )
    if (
        found is None
        or (openid is not None and found["openid"] != openid)
        or (hospital_id is not None and found["hospital"] != hospital_id)
    ):
        return NotFound("No such visit.")
    if found["status"] != "registered":
        return VisitNotOpen(f"This visit is already {found['status']}.")
    return VisitHasCharges("The hospital has added charges: it settles or cancels the visit.")


async def hold_expired(hold_id: str) -> None:
    """The wallet let an unsettled visit's hold lapse: the visit can no longer be settled."""
    async with atomic():
        await fetch(
            "UPDATE medical_visit SET status = 'expired', open_key = NULL, closed_at = {}, "
            "released = estimate WHERE hold_id = {} AND status = 'registered'",
            now(),
            hold_id,
        )

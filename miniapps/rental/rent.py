"""Monthly rent, charged to the tenant's credit by a scheduled job.

Month k (0-based) of a lease falls due at local midnight of its start date plus k months.
Each due month is charged in its own transaction that also claims the `lease:month` row
(unique) and moves the lease's `next_rent_month` on with a conditional UPDATE: a job run
twice, or two workers at once, charge a month at most once. A refused charge (a suspended
wallet, no credit, a revoked grant) books nothing; the lease records why, and the next run
tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from miniapps.rental.months import add_months
from miniapps.sdk import (
    MiniAppContext,
    ProblemError,
    as_date,
    atomic,
    day_start,
    fetch,
    fetch_one,
    new_id,
    now,
)

log = logging.getLogger("citybrain.miniapps.rental")

BATCH = 200


class _Raced(Exception):
    """Another run charged this month first: roll back, nothing to do."""


async def charge_due_rent(ctx: MiniAppContext) -> None:
    """The scheduled job (hourly)."""
    await charge_due_months(ctx)


async def charge_due_months(ctx: MiniAppContext) -> int:
    """Charge every month that has fallen due; returns how many were charged."""
    as_of = now()
    charged = 0
    rows = await fetch(
        "SELECT id FROM rental_lease WHERE status = 'active' AND next_rent_due_at <= {} "
        "ORDER BY next_rent_due_at LIMIT {}",
        as_of,
        BATCH,
    )
    for row in rows:
        # A lease behind by several months (the job was down) catches up month by month.
        while await _charge_next_month(ctx, str(row["id"]), as_of):
            charged += 1
    return charged


async def _charge_next_month(ctx: MiniAppContext, lease_id: str, as_of: datetime) -> bool:
    """Charge the lease's next due month; False when none is due (or it failed)."""
    lease = await fetch_one(
        "SELECT * FROM rental_lease WHERE id = {} AND status = 'active' AND next_rent_due_at <= {}",
        lease_id,
        as_of,
    )
    if lease is None:
        return False
    month = int(lease["next_rent_month"])
    start = as_date(lease["start_date"])
    following = month + 1
    next_due = day_start(add_months(start, following)) if following < int(lease["months"]) else None
    try:
        async with atomic():
            moved = await fetch_one(
                "UPDATE rental_lease SET next_rent_month = {}, next_rent_due_at = {}, "
                "last_rent_failure = NULL WHERE id = {} AND status = 'active' "
                "AND next_rent_month = {} RETURNING id",
                following if next_due is not None else None,
                next_due,
                lease_id,
                month,
            )
            claimed = await fetch_one(
                "INSERT INTO rental_rent_charge (id, lease_id, lease_month, month, due_on, "
                "amount, charge_id, charged_at) VALUES ({}, {}, {}, {}, {}, {}, '', {}) "
                "ON CONFLICT (lease_month) DO NOTHING RETURNING id",
                new_id(),
                lease_id,
                f"{lease_id}:{month}",
                month,
                add_months(start, month).isoformat(),
                lease["rent_amount"],
                as_of,
            )
            if moved is None or claimed is None:
                raise _Raced
            tenant = await ctx.for_openid(str(lease["tenant_openid"]))
            due_on = add_months(start, month).isoformat()
            bill = await tenant.wallet.charge(
                int(lease["rent_amount"]), f"房租 {due_on} 租约 {lease_id[:8]}"
            )
            await fetch(
                "UPDATE rental_rent_charge SET charge_id = {} WHERE id = {}",
                bill.charge_id,
                claimed["id"],
            )
    except _Raced:
        return False
    except ProblemError as refused:
        log.info("rent of lease %s month %d refused: %s", lease_id, month + 1, refused.code)
        async with atomic():
            await fetch(
                "UPDATE rental_lease SET last_rent_failure = {} WHERE id = {}",
                refused.code,
                lease_id,
            )
        return False
    return True

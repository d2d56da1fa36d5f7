"""Department accounts: citizens assigned to departments by a platform admin.

A staff member signs in as themselves; their openid for this app names their departments
here, and every desk route reads only those departments' steps. The admin names the
citizen by the platform id of `GET /api/v1/admin/citizens`; the SDK turns it into this
app's openid (`ctx.openid_of`, platform admins only), so the app never holds a
platform id it was not given by an admin.
"""

from __future__ import annotations

from miniapps.sdk import MiniAppContext, NotFound, atomic, fetch, now
from miniapps.services.errors import NotDepartmentStaff
from miniapps.services.schemas import StaffOut


async def assign(ctx: MiniAppContext, citizen_id: str, departments: list[str]) -> StaffOut:
    """The citizen's departments become exactly these."""
    openid = await ctx.openid_of(citizen_id)
    wanted, at = sorted(set(departments)), now()
    async with atomic():
        await fetch("DELETE FROM services_staff WHERE openid = {}", openid)
        for department in wanted:
            await fetch(
                "INSERT INTO services_staff (slot, openid, citizen_id, department, assigned_at) "
                "VALUES ({}, {}, {}, {}, {})",
                f"{openid}:{department}",
                openid,
                citizen_id,
                department,
                at,
            )
    return StaffOut(citizen_id, wanted, at)


async def unassign(ctx: MiniAppContext, citizen_id: str) -> None:
    openid = await ctx.openid_of(citizen_id)
    async with atomic():
        gone = await fetch("DELETE FROM services_staff WHERE openid = {} RETURNING slot", openid)
    if not gone:
        raise NotFound("This citizen is no department's staff.")


async def departments_of(ctx: MiniAppContext) -> tuple[str, ...]:
    """The caller's departments; 403 `not_department_staff` for anyone else signed in."""
    openid = ctx.require_citizen()
    rows = await fetch(
        "SELECT department FROM services_staff WHERE openid = {} ORDER BY department", openid
    )
    if not rows:
        raise NotDepartmentStaff("Only a department's staff reads and decides steps.")
    return tuple(str(row["department"]) for row in rows)

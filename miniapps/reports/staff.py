"""Who handles an event: the grid workers of its region, the district's staff, admins.

Assignments are the app's own table (`reports_worker`), kept by a platform_admin through
`PUT /admin/workers/{citizen_id}`: an assignment to a region covers its sub-regions by code
prefix (`330100` covers `330106`). A `grid` assignment is a worker's queue of every event in
the region; a `district` one is the district's desk, whose queue holds the events escalated
there. Platform admins act city-wide. Anyone else, reporters included, is not staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from miniapps.sdk import MiniAppContext, fetch, region_covers, region_prefix

ADMIN = "platform_admin"


@dataclass(frozen=True)
class Staff:
    openid: str
    admin: bool
    assignments: tuple[tuple[str, str], ...]  # (region_code, level)

    def covers(self, region_code: str) -> bool:
        return self.admin or any(region_covers(r, region_code) for r, _ in self.assignments)

    def actor(self, region_code: str) -> str:
        """How a step records the caller: as the region's worker, or as an admin."""
        assigned = any(region_covers(r, region_code) for r, _ in self.assignments)
        return "worker" if assigned else "admin"


async def staff_of(ctx: MiniAppContext) -> Staff | None:
    """The caller as staff, or None for a citizen with no assignment."""
    openid = ctx.openid
    if openid is None:
        return None
    rows = await fetch(
        "SELECT region_code, level FROM reports_worker WHERE openid = {} ORDER BY region_code",
        openid,
    )
    admin = ADMIN in ctx.roles
    if not rows and not admin:
        return None
    return Staff(openid, admin, tuple((r["region_code"], r["level"]) for r in rows))


def queue_filter(staff: Staff) -> tuple[str, list[Any]]:
    """The SQL condition (and its arguments) of the events in a staff member's queue."""
    if staff.admin:
        return "1 = 1", []
    parts: list[str] = []
    args: list[Any] = []
    for region, level in staff.assignments:
        if level == "district":
            parts.append("(region_code LIKE {} AND level = 'district')")
        else:
            parts.append("region_code LIKE {}")
        args.append(region_prefix(region) + "%")
    return "(" + " OR ".join(parts) + ")", args

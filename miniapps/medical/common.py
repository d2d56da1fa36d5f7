"""What every part of medical shares: the app as merchant, the hospital of a device's venue."""

from __future__ import annotations

from typing import Any

from miniapps.medical.errors import HospitalNotSetUp
from miniapps.sdk import MiniAppContext, fetch_one


def merchant(ctx: MiniAppContext) -> MiniAppContext:
    """The app itself, to capture or void what it holds (the obligation outlives consent)."""
    return MiniAppContext(manifest=ctx.manifest, settings=ctx.settings)


async def hospital_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, registration_estimate FROM medical_hospital WHERE venue_id = {}",
        venue_id,
    )
    if row is None:
        raise HospitalNotSetUp("Set this hospital up first: PUT /api/v1/miniapps/medical/hospital.")
    return row

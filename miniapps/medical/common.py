"""What every part of medical shares: the hospital of a device's venue."""

from __future__ import annotations

from typing import Any

from miniapps.medical.errors import HospitalNotSetUp
from miniapps.sdk import fetch_one


async def hospital_of(venue_id: str) -> dict[str, Any]:
    row = await fetch_one(
        "SELECT id, name, registration_estimate FROM medical_hospital WHERE venue_id = {}",
        venue_id,
    )
    if row is None:
        raise HospitalNotSetUp("Set this hospital up first: PUT /api/v1/miniapps/medical/hospital.")
    return row

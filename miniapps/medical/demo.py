"""Demo data for `make run`: the demo hospital's profile and departments (idempotent).

The identity demo loader puts the demo venues in `context["venues"]` (kind → id); the
hospital's gate (in var/demo-credentials.json) is then its registration desk and cashier.
"""

from __future__ import annotations

from typing import Any

from miniapps.medical.hospitals import add_department, save_hospital
from miniapps.medical.schemas import HospitalIn
from miniapps.sdk import Conflict

DEMO_HOSPITAL = HospitalIn(name="浙一医院 First Affiliated Hospital", registration_estimate=50_000)
DEMO_DEPARTMENTS = ("内科 Internal medicine", "外科 Surgery", "儿科 Paediatrics", "发热门诊 Fever")


async def seed(context: dict[str, Any]) -> None:
    venue_id = context.get("venues", {}).get("hospital")
    if venue_id is None:
        return
    await save_hospital(venue_id, DEMO_HOSPITAL)
    for name in DEMO_DEPARTMENTS:
        try:
            await add_department(venue_id, name)
        except Conflict:
            continue  # seeded by an earlier run

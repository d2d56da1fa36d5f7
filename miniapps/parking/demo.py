"""Demo data for `make run`: the demo mall's car park with a tariff (idempotent).

The demo loader of identity puts the demo venues in `context["venues"]` (kind → id); the
mall's gate (in var/demo-credentials.json) is then this car park's barrier.
"""

from __future__ import annotations

from typing import Any

from miniapps.parking.car_parks import configure
from miniapps.parking.schemas import CarParkRequest

DEMO_TARIFF = CarParkRequest(
    name="湖滨银泰 in77 停车场", free_minutes=15, hourly_amount=600, daily_cap_amount=5000
)


async def seed(context: dict[str, Any]) -> None:
    venues: dict[str, str] = context.get("venues", {})
    mall = venues.get("mall")
    if mall is not None:
        await configure(mall, DEMO_TARIFF)

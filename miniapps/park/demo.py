"""Demo data for `make run`: the demo park's ticket and today's and tomorrow's hourly slots.

Idempotent: slots are unique by their start. The identity demo loader puts the demo venues
in `context["venues"]` (kind → id); the park's gate (in var/demo-credentials.json) is then
its turnstile.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from miniapps.park.catalogue import add_slot, save_park
from miniapps.park.schemas import ParkIn, SlotIn
from miniapps.sdk import SHANGHAI, Conflict, local_today, now

DEMO_PARK = ParkIn(name="西湖景区 Xihu Park", ticket=2_000)
OPENING_HOURS = range(6, 22)  # hourly slots, 06:00 to 22:00 Asia/Shanghai
CAPACITY = 500


async def seed(context: dict[str, Any]) -> None:
    venue_id = context.get("venues", {}).get("park")
    if venue_id is None:
        return
    await save_park(venue_id, DEMO_PARK)
    today = local_today()
    for day in (today, today + timedelta(days=1)):
        for hour in OPENING_HOURS:
            starts = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
            ends = starts + timedelta(hours=1)
            if ends <= now():
                continue
            try:
                await add_slot(venue_id, SlotIn(starts_at=starts, ends_at=ends, capacity=CAPACITY))
            except Conflict:
                continue  # seeded by an earlier run

"""The parking fee: a pure function of the tariff and the two times, so it is tested alone.

The rules (docs/decisions.md, "parking"):
- a stay of at most `free_minutes` is free (exactly N minutes is still free);
- past that, the whole stay is charged (the free minutes are a grace for drop-offs, not a
  discount), by the started hour: partial hours round up;
- each full 24 hours from entry costs at most `daily_cap_amount`, and so does the last,
  partial day on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Tariff:
    free_minutes: int
    hourly_amount: int  # fen per started hour
    daily_cap_amount: int  # fen, the most one 24-hour period costs


def stay_seconds(entered_at: datetime, exited_at: datetime) -> int:
    """Whole seconds parked, a started second counting as one; never negative input."""
    parked = exited_at - entered_at
    if parked.total_seconds() < 0:
        raise ValueError("the exit is before the entry")
    return parked.days * DAY + parked.seconds + (1 if parked.microseconds else 0)


def _started_hours(seconds: int) -> int:
    return -(-seconds // HOUR)


def parking_fee(tariff: Tariff, entered_at: datetime, exited_at: datetime) -> int:
    """The fee in fen for a stay from `entered_at` to `exited_at` under `tariff`."""
    seconds = stay_seconds(entered_at, exited_at)
    if seconds <= tariff.free_minutes * 60:
        return 0
    full_days, rest = divmod(seconds, DAY)
    day_fee = min(24 * tariff.hourly_amount, tariff.daily_cap_amount)
    rest_fee = min(_started_hours(rest) * tariff.hourly_amount, tariff.daily_cap_amount)
    return full_days * day_fee + rest_fee

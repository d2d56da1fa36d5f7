"""The health-code clock: real UTC time, shifted by an offset that tests may set.

Streaks count Asia/Shanghai calendar days, so a journey of fourteen daily check-ins is
tested by moving this clock rather than waiting. Codes, scans and purges read it too, so a
code issued "tomorrow" is also verified "tomorrow".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

try:
    from zoneinfo import ZoneInfo

    SHANGHAI: timezone | ZoneInfo = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database: China has kept UTC+8 without DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock:
    """UTC now plus an adjustable offset (zero outside tests)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)


clock = Clock()


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of a moment (the unit of daily check-ins)."""
    return moment.astimezone(SHANGHAI).date()

"""The city's calendar for tests: the Asia/Shanghai day a test asserts on, whatever the hour
(and time zone) of the machine that runs it. CI runs the suite at 23:50 Asia/Shanghai too."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def city_today() -> date:
    """Today in Asia/Shanghai by the real clock (not the machine's local date)."""
    return datetime.now(SHANGHAI).date()


def local_noon(day: date | None = None) -> datetime:
    """Noon of `day` (default today) in Asia/Shanghai, in UTC."""
    return datetime.combine(day or city_today(), time(12), SHANGHAI).astimezone(UTC)


def local_time(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An Asia/Shanghai wall-clock time on `day`, in UTC."""
    return datetime.combine(day, time(hour, minute, second), SHANGHAI).astimezone(UTC)

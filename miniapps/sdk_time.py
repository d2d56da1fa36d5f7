"""Time for mini-apps: one replaceable "now", the city's days, stored timestamps read back.

Mini-apps read the time from `now()` rather than `datetime.now`, so that a test (or a demo)
can stop and move it for them with `set_clock()`. Days are Asia/Shanghai days. Apps get all
of this from `miniapps.sdk`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991


def _real() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _real


def now() -> datetime:
    """The current instant, in UTC whatever zone a test's clock uses."""
    return _source().astimezone(UTC)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """For tests and demos: read "now" from `source` (None restores the real clock)."""
    global _source
    _source = source if source is not None else _real


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai date of an instant: what a citizen calls "today" or "that day"."""
    return moment.astimezone(SHANGHAI).date()


def local_today() -> date:
    """Today in Asia/Shanghai, by `now()`."""
    return local_day(now())


def day_start(day: date) -> datetime:
    """Local (Asia/Shanghai) midnight of `day`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends."""
    start = day_start(day)
    return start, start + timedelta(days=1)


def as_utc(value: object) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {type(value).__name__}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def maybe_utc(value: object) -> datetime | None:
    """`as_utc` for a nullable column."""
    return None if value is None else as_utc(value)


def as_date(value: object) -> date:
    """A stored date (SQLite may hand back text)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    if not isinstance(value, date):
        raise TypeError(f"not a date: {type(value).__name__}")
    return value

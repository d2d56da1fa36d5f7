"""Rental's notion of "now": rent due dates and lease terms read it, so tests can move time.

Nothing in the package calls `datetime.now` directly; `set_source()` and `freeze()` are for
tests and the demo only.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone


def _real() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _real


def now() -> datetime:
    """Always in UTC, whatever zone a test's source uses."""
    return _source().astimezone(UTC)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _source
    _source = source if source is not None else _real


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    """Stop the clock at `at` for the duration of the block."""
    previous = _source
    set_source(lambda: at)
    try:
        yield
    finally:
        set_source(previous)


def as_utc(value: object) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {type(value).__name__}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# Lease calendars: days and months in Asia/Shanghai (UTC+8 all year, no daylight saving).
LOCAL = timezone(timedelta(hours=8))


def today() -> date:
    return now().astimezone(LOCAL).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, the month's last day when it has no such day (Jan 31 →
    Feb 28): counted from the lease's start each time, so a short month never shifts later
    ones."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_of(day: date) -> datetime:
    """Local midnight of `day`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)

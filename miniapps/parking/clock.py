"""Parking's notion of "now": stay times and fees read it, so that tests can move time.

Nothing in the package calls `datetime.now` directly; `set_source()` and `freeze()` are for
tests and the demo only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


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

"""The wallet's notion of "now", replaceable so that tests can move time.

Due dates, hold expiry and overdue all read `now()`; nothing in the wallet calls
`datetime.now` directly. `travel()` and `freeze()` are for tests and the benchmark only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _source
    _source = source if source is not None else (lambda: datetime.now(UTC))


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    """Stop the clock at `at` for the duration of the block."""
    previous = _source
    set_source(lambda: at)
    try:
        yield
    finally:
        set_source(previous)


@contextmanager
def travel(by: timedelta) -> Iterator[None]:
    """Run the block with the clock moved `by` ahead (still ticking)."""
    previous = _source
    set_source(lambda: previous() + by)
    try:
        yield
    finally:
        set_source(previous)

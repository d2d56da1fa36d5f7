"""The mini-apps' clock (`miniapps.sdk.now`), stopped for a test and moved by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from tests.clocks import local_noon


class StoppedClock:
    """What `miniapps.sdk.now()` answers while `stopped_time()` runs; `advance()` moves it."""

    def __init__(self, at: datetime | None = None) -> None:
        self.now = (at or datetime.now(UTC)).replace(microsecond=0)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@contextmanager
def stopped_time(at: datetime | None = None) -> Iterator[StoppedClock]:
    """Stop the SDK's clock at `at` (default: the real now) until the block ends."""
    from miniapps.sdk import set_clock

    stopped = StoppedClock(at)
    set_clock(lambda: stopped.now)
    try:
        yield stopped
    finally:
        set_clock(None)


@contextmanager
def stopped_at_noon() -> Iterator[StoppedClock]:
    """Stopped at noon of today's Asia/Shanghai day: hours of room on both sides of "now"
    within one local day, whatever the hour the suite runs at."""
    with stopped_time(local_noon()) as stopped:
        yield stopped

"""The mini-apps' clock (`miniapps.sdk.now`), stopped for a test and moved by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class StoppedClock:
    """What `miniapps.sdk.now()` answers while `stopped_time()` runs; `advance()` moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@contextmanager
def stopped_time() -> Iterator[StoppedClock]:
    from miniapps.sdk import set_clock

    stopped = StoppedClock()
    set_clock(lambda: stopped.now)
    try:
        yield stopped
    finally:
        set_clock(None)

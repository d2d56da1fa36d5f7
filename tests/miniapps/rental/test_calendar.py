"""Lease calendars: months counted from the start date, in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime

from miniapps.rental.months import add_months
from miniapps.sdk import day_start


class TestAddMonths:
    def test_the_same_day_next_month(self) -> None:
        assert add_months(date(2026, 3, 15), 1) == date(2026, 4, 15)

    def test_a_short_month_takes_its_last_day(self) -> None:
        assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)

    def test_counted_from_the_start_so_a_short_month_does_not_shift_the_rest(self) -> None:
        assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)

    def test_across_the_year(self) -> None:
        assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
        assert add_months(date(2026, 12, 1), 12) == date(2027, 12, 1)


def test_a_day_starts_at_local_midnight() -> None:
    assert day_start(date(2026, 3, 1)) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)

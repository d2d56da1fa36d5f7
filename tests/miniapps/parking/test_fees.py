"""The parking fee as a pure function: free minutes, started hours, the daily cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniapps.parking.fees import Tariff, parking_fee, stay_seconds

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TARIFF = Tariff(free_minutes=15, hourly_amount=500, daily_cap_amount=4000)


def fee(tariff: Tariff = TARIFF, **parked: float) -> int:
    return parking_fee(tariff, T0, T0 + timedelta(**parked))


class TestFreeMinutes:
    def test_no_time_is_free(self) -> None:
        assert fee(seconds=0) == 0

    def test_exactly_the_free_minutes_is_free(self) -> None:
        assert fee(minutes=15) == 0

    def test_one_second_past_the_free_minutes_costs_the_whole_first_hour(self) -> None:
        assert fee(minutes=15, seconds=1) == 500

    def test_a_started_microsecond_counts_as_a_second(self) -> None:
        assert fee(minutes=15, microseconds=1) == 500

    def test_without_free_minutes_the_first_second_is_charged(self) -> None:
        assert fee(Tariff(0, 500, 4000), seconds=1) == 500


class TestStartedHours:
    def test_exactly_one_hour_is_one_hour(self) -> None:
        assert fee(hours=1) == 500

    def test_partial_hours_round_up(self) -> None:
        assert fee(hours=1, seconds=1) == 1000
        assert fee(hours=2, minutes=10) == 1500

    def test_the_free_minutes_are_not_deducted_once_exceeded(self) -> None:
        assert fee(minutes=75) == 1000


class TestDailyCap:
    def test_a_long_day_stops_at_the_cap(self) -> None:
        assert fee(hours=7, minutes=59) == 4000
        assert fee(hours=23, minutes=59) == 4000

    def test_exactly_one_day_is_one_cap(self) -> None:
        assert fee(days=1) == 4000

    def test_the_next_day_starts_again_by_the_hour(self) -> None:
        assert fee(days=1, minutes=1) == 4500
        assert fee(days=1, hours=2, minutes=1) == 5500

    def test_each_day_is_capped_on_its_own(self) -> None:
        assert fee(days=3, hours=5) == 3 * 4000 + 2500
        assert fee(days=3, hours=20) == 4 * 4000

    def test_a_cap_above_a_full_day_of_hours_never_applies(self) -> None:
        assert fee(Tariff(0, 100, 10_000), days=2, minutes=30) == 2 * 2400 + 100

    def test_a_free_car_park_costs_nothing(self) -> None:
        assert fee(Tariff(0, 0, 0), days=5) == 0


class TestTimes:
    def test_an_exit_before_the_entry_is_refused(self) -> None:
        with pytest.raises(ValueError):
            parking_fee(TARIFF, T0, T0 - timedelta(seconds=1))

    def test_stay_seconds_counts_days(self) -> None:
        assert stay_seconds(T0, T0 + timedelta(days=2, seconds=3)) == 2 * 86400 + 3


durations = st.integers(min_value=0, max_value=40 * 86400)
tariffs = st.builds(
    lambda free, hourly, extra: Tariff(free, hourly, hourly + extra),
    st.integers(0, 240),
    st.integers(0, 5000),
    st.integers(0, 200_000),
)


class TestProperties:
    @given(tariffs, durations, durations)
    def test_a_longer_stay_never_costs_less(self, tariff: Tariff, a: int, b: int) -> None:
        short, long = sorted((a, b))
        assert fee(tariff, seconds=short) <= fee(tariff, seconds=long)

    @given(tariffs, durations)
    def test_never_more_than_a_cap_per_started_day(self, tariff: Tariff, seconds: int) -> None:
        started_days = -(-seconds // 86400)
        assert 0 <= fee(tariff, seconds=seconds) <= started_days * tariff.daily_cap_amount

    @given(tariffs, durations)
    def test_never_more_than_the_started_hours(self, tariff: Tariff, seconds: int) -> None:
        started_hours = -(-seconds // 3600)
        assert fee(tariff, seconds=seconds) <= started_hours * tariff.hourly_amount

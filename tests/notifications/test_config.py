"""Quiet hours and backoff, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notifications.config import NotifyConfig, backoff, quiet_until, set_config


def shanghai(hour: int, minute: int = 0, day: int = 10) -> datetime:
    """A wall-clock time in Asia/Shanghai (UTC+8, no DST), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


class TestQuietHours:
    def test_daytime_is_not_quiet(self) -> None:
        for hour in (8, 12, 21):
            assert quiet_until(shanghai(hour)) is None
        assert quiet_until(shanghai(21, 59)) is None

    def test_late_evening_waits_for_next_morning(self) -> None:
        assert quiet_until(shanghai(22)) == shanghai(8, day=11)
        assert quiet_until(shanghai(23, 30)) == shanghai(8, day=11)

    def test_small_hours_wait_for_this_morning(self) -> None:
        assert quiet_until(shanghai(0, 15, day=11)) == shanghai(8, day=11)
        assert quiet_until(shanghai(7, 59, day=11)) == shanghai(8, day=11)


class TestBackoff:
    def test_doubles_and_caps(self) -> None:
        set_config(NotifyConfig(retry_base_seconds=10, retry_max_delay=60))
        try:
            assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
        finally:
            set_config(None)

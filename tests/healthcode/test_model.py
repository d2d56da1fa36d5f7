"""The colour model as pure functions: raising, streaks over Asia/Shanghai days, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from healthcode import model
from healthcode.clock import SHANGHAI
from healthcode.rules import Verdict, active_ruleset

RULES = active_ruleset()
# 02:00 UTC is 10:00 in Shanghai: adding whole days stays mid-morning there.
START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
FEVER = Verdict("yellow", "HC-Y01", "fever")
CONTACT = Verdict("red", "HC-R01", "contact")


def day(n: int, hour: int = 2) -> datetime:
    return START + timedelta(days=n, hours=hour - 2)


def check_in_days(state: model.State, days: range) -> model.State:
    for n in days:
        state = model.normal_checkin(state, RULES, day(n))
    return state


class TestRaise:
    def test_a_worse_cause_replaces_the_colour(self) -> None:
        state = model.raise_to(model.initial(RULES, START), FEVER, START)
        assert (state.colour, state.rule_id) == ("yellow", "HC-Y01")
        raised = model.raise_to(state, CONTACT, day(1))
        assert (raised.colour, raised.rule_id, raised.since) == ("red", "HC-R01", day(1))

    def test_a_milder_cause_keeps_the_colour_but_restarts_the_count(self) -> None:
        state = model.raise_to(model.initial(RULES, START), CONTACT, START)
        state = check_in_days(state, range(1, 6))
        assert state.streak == 5
        state = model.raise_to(state, FEVER, day(6))
        assert (state.colour, state.rule_id, state.streak) == ("red", "HC-R01", 0)

    def test_green_changes_nothing(self) -> None:
        state = model.raise_to(model.initial(RULES, START), CONTACT, START)
        assert model.raise_to(state, Verdict("green", "HC-G01", "ok"), day(1)) == state


class TestStreak:
    def test_yellow_turns_green_after_seven_days(self) -> None:
        state = model.raise_to(model.initial(RULES, START), FEVER, START)
        state = check_in_days(state, range(1, 7))
        assert state.colour == "yellow"
        assert model.checkins_remaining(state, RULES, day(6)) == 1
        state = check_in_days(state, range(7, 8))
        assert (state.colour, state.rule_id) == ("green", RULES.streak.id)

    def test_red_needs_fourteen_days(self) -> None:
        state = model.raise_to(model.initial(RULES, START), CONTACT, START)
        assert check_in_days(state, range(1, 14)).colour == "red"
        assert check_in_days(state, range(1, 15)).colour == "green"

    def test_the_day_of_the_raise_does_not_count(self) -> None:
        state = model.raise_to(model.initial(RULES, START), FEVER, START)
        assert model.normal_checkin(state, RULES, START + timedelta(hours=1)).streak == 0

    def test_one_check_in_a_day_counts(self) -> None:
        state = model.raise_to(model.initial(RULES, START), FEVER, START)
        state = model.normal_checkin(state, RULES, day(1))
        assert model.normal_checkin(state, RULES, day(1, hour=5)).streak == 1

    def test_a_missed_day_restarts_the_count(self) -> None:
        state = model.raise_to(model.initial(RULES, START), FEVER, START)
        state = check_in_days(state, range(1, 6))
        assert model.checkins_remaining(state, RULES, day(7)) == 7  # day 6 missed: broken
        state = model.normal_checkin(state, RULES, day(7))
        assert state.streak == 1

    def test_days_are_asia_shanghai_days(self) -> None:
        # 15:30 UTC and 16:30 UTC on one UTC date are two Shanghai dates (23:30, 00:30).
        raised_at = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
        state = model.raise_to(model.initial(RULES, raised_at), FEVER, raised_at)
        assert model.normal_checkin(state, RULES, raised_at + timedelta(hours=1)).streak == 1


class TestOverride:
    def test_an_override_sets_any_colour_and_restarts(self) -> None:
        state = model.raise_to(model.initial(RULES, START), CONTACT, START)
        state = check_in_days(state, range(1, 4))
        cleared = model.override(state, RULES, "green", "tested negative", day(4))
        assert (cleared.colour, cleared.rule_id, cleared.reason) == (
            "green",
            RULES.override.id,
            "tested negative",
        )
        red = model.override(cleared, RULES, "red", "confirmed case", day(5))
        assert model.checkins_remaining(red, RULES, day(5)) == 14


class TestDayBoundaries:
    """Streaks count Asia/Shanghai days: the second before and the second after local
    midnight are two days, at a month's and a year's end too."""

    @pytest.mark.parametrize(
        "last_second",
        [
            datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC),  # 23:59:59 on 31 December there
            datetime(2027, 2, 28, 15, 59, 59, tzinfo=UTC),  # the end of a short month
            datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC),
        ],
        ids=["year_end", "february_end", "march_end"],
    )
    def test_one_second_past_local_midnight_is_the_next_day(self, last_second: datetime) -> None:
        raised_the_day_before = last_second - timedelta(days=1)
        state = model.raise_to(
            model.initial(RULES, raised_the_day_before), FEVER, raised_the_day_before
        )
        state = model.normal_checkin(state, RULES, last_second)
        assert state.streak == 1
        again_the_same_day = model.normal_checkin(state, RULES, last_second - timedelta(hours=3))
        assert again_the_same_day.streak == 1
        next_day = model.normal_checkin(state, RULES, last_second + timedelta(seconds=1))
        assert next_day.streak == 2
        assert (
            next_day.last_checkin_day
            == (last_second + timedelta(seconds=1)).astimezone(SHANGHAI).date().isoformat()
        )

    def test_a_check_in_from_another_time_zone_counts_for_the_hangzhou_day(self) -> None:
        # 09:30 on 1 March in San Francisco is 01:30 on 2 March in Hangzhou.
        san_francisco = timezone(timedelta(hours=-8))
        raised = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
        state = model.raise_to(model.initial(RULES, raised), FEVER, raised)
        there = datetime(2026, 3, 1, 9, 30, tzinfo=san_francisco)
        checked = model.normal_checkin(state, RULES, there)
        assert (checked.streak, checked.last_checkin_day) == (1, "2026-03-02")

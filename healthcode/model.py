"""The colour model as pure functions over a citizen's state (no I/O, easy to test).

- A cause (declaration, abnormal check-in, risky region, trace) only raises: the colour
  becomes the worse of the current one and the cause's; either way the streak restarts,
  because the day is not normal.
- A normal daily check-in counts one Asia/Shanghai calendar day, after the day the colour
  was last raised; consecutive days make a streak, a missed day restarts it at 1. When the
  streak reaches the ruleset's days for the colour (red 14, yellow 7), the code turns green.
- A health_admin override sets any colour, with the official's reason, and restarts the streak.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from healthcode.clock import local_day
from healthcode.rules import RANK, Ruleset, Verdict


@dataclass(frozen=True)
class State:
    colour: str
    rule_id: str
    reason: str
    since: datetime
    restart_day: str  # ISO date of the day the colour was last raised or re-asserted
    streak: int
    last_checkin_day: str | None


def initial(ruleset: Ruleset, now: datetime) -> State:
    return State(
        "green", ruleset.green.id, ruleset.green.reason, now, local_day(now).isoformat(), 0, None
    )


def raise_to(state: State, verdict: Verdict, now: datetime) -> State:
    """Apply a cause: a worse colour replaces the current one; any non-green restarts the count."""
    if verdict.colour == "green":
        return state
    today = local_day(now).isoformat()
    if RANK[verdict.colour] > RANK[state.colour]:
        return State(verdict.colour, verdict.rule_id, verdict.reason, now, today, 0, None)
    return replace(state, restart_day=today, streak=0, last_checkin_day=None)


def override(state: State, ruleset: Ruleset, colour: str, reason: str, now: datetime) -> State:
    today = local_day(now).isoformat()
    return State(colour, ruleset.override.id, reason, now, today, 0, None)


def normal_checkin(state: State, ruleset: Ruleset, now: datetime) -> State:
    """Count today's normal check-in towards green (once a day, after the restart day)."""
    if state.colour == "green":
        return state
    day = local_day(now)
    if day.isoformat() <= state.restart_day or state.last_checkin_day == day.isoformat():
        return state
    previous = state.last_checkin_day if state.streak > 0 else state.restart_day
    consecutive = previous is not None and date.fromisoformat(previous) + timedelta(days=1) == day
    streak = state.streak + 1 if consecutive else 1
    if streak >= ruleset.days_to_green(state.colour):
        return State(
            "green",
            ruleset.streak.id,
            ruleset.streak.reason,
            now,
            day.isoformat(),
            0,
            day.isoformat(),
        )
    return replace(state, streak=streak, last_checkin_day=day.isoformat())


def checkins_remaining(state: State, ruleset: Ruleset, now: datetime) -> int:
    """Normal daily check-ins still needed to turn green (0 when green).

    A streak whose last counted day is before yesterday is already broken, so the full
    count is shown rather than what the stored streak would suggest.
    """
    if state.colour == "green":
        return 0
    streak = state.streak
    if streak and state.last_checkin_day is not None:
        last = date.fromisoformat(state.last_checkin_day)
        if last + timedelta(days=1) < local_day(now):
            streak = 0
    return max(0, ruleset.days_to_green(state.colour) - streak)

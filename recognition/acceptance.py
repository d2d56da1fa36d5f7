"""Acceptance rules as data: whether a valid EU DCC counts as green at a gate.

A completed vaccination series at least `vaccination_min_days` old, a negative test sampled
within `test_max_hours`, a recovery whose first positive test is within `recovery_max_days`
(and inside the certificate's own df–du window). A positive test is red; any other valid
certificate is yellow (known, but not admitted where only green passes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from recognition.schemas import AcceptanceRules
from recognition.verdict import Verdict

NEGATIVE = "260415000"  # SNOMED CT "not detected"
POSITIVE = "260373001"  # SNOMED CT "detected"


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def colour(verdict: Verdict, rules: AcceptanceRules, at: datetime) -> str:
    if not verdict.valid or verdict.kind is None:
        return "red"
    today = at.astimezone(UTC).date()
    if verdict.kind == "vaccination":
        entry = verdict.payload["v"][0]
        done = _day(entry["dt"])
        complete = entry["dn"] >= entry["sd"]
        if (
            complete
            and done is not None
            and today >= done + timedelta(days=rules.vaccination_min_days)
        ):
            return "green"
        return "yellow"
    if verdict.kind == "test":
        entry = verdict.payload["t"][0]
        if entry["tr"] == POSITIVE:
            return "red"
        try:
            sampled = datetime.fromisoformat(str(entry["sc"]).replace("Z", "+00:00"))
        except ValueError:
            return "yellow"
        if sampled.tzinfo is None:
            return "yellow"
        fresh = sampled <= at <= sampled + timedelta(hours=rules.test_max_hours)
        return "green" if entry["tr"] == NEGATIVE and fresh else "yellow"
    entry = verdict.payload["r"][0]
    first, valid_from, valid_until = _day(entry["fr"]), _day(entry["df"]), _day(entry["du"])
    if None in (first, valid_from, valid_until):
        return "yellow"
    assert first and valid_from and valid_until
    recent = today <= first + timedelta(days=rules.recovery_max_days)
    return "green" if recent and valid_from <= today <= valid_until else "yellow"

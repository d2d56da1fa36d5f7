"""The rules kept as data: every rule's own test cases run here, and so do the ruleset's."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from healthcode.rules import RulesetError, active_ruleset, apply_logic, parse_ruleset

RULESET = active_ruleset()
RULE_CASES = [
    pytest.param(rule, case, id=f"{rule.id}: {case.name}")
    for rule in RULESET.rules
    for case in rule.tests
]
RULESET_CASES = [pytest.param(case, id=case.name) for case in RULESET.cases]


def _raw() -> dict[str, Any]:
    text = resources.files("healthcode.rulesets").joinpath("v1.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


class TestRuleCases:
    @pytest.mark.parametrize(("rule", "case"), RULE_CASES)
    def test_rule_case(self, rule: Any, case: Any) -> None:
        assert rule.matches(case.facts) is case.expect

    @pytest.mark.parametrize("case", RULESET_CASES)
    def test_worst_rule_wins(self, case: Any) -> None:
        verdict = RULESET.evaluate(case.facts)
        assert (verdict.colour, verdict.rule_id) == (case.colour, case.rule_id)

    def test_every_rule_has_an_explanation_and_a_version(self) -> None:
        for rule in RULESET.rules:
            assert rule.explanation and rule.version and rule.reason
        assert RULESET.streak_days == {"red": 14, "yellow": 7}


class TestLogic:
    @pytest.mark.parametrize(
        ("logic", "facts", "expected"),
        [
            (
                {"and": [True, {">=": [{"var": "temperature_c"}, 37.3]}]},
                {"temperature_c": 38},
                True,
            ),
            ({"or": [False, {"!": {"var": "close_contact"}}]}, {}, True),
            ({"<": [{"var": "temperature_c"}, 36]}, {}, False),  # a missing number never compares
            ({"!=": [{"var": "traced"}, "companion"]}, {"traced": "close_contact"}, True),
            ({"in": ["high", {"var": "visited_risk_levels"}]}, {"visited_risk_levels": 3}, False),
        ],
    )
    def test_operators(self, logic: Any, facts: dict[str, Any], expected: bool) -> None:
        assert apply_logic(logic, facts) is expected


class TestLoading:
    def test_the_shipped_ruleset_loads(self) -> None:
        assert parse_ruleset(_raw()).version == RULESET.version

    @pytest.mark.parametrize(
        ("break_it", "message"),
        [
            (lambda r: r["rules"][0].update(logic={"xor": [1, 2]}), "unknown operator"),
            (lambda r: r["rules"][0].update(logic={"var": "phone"}), "unknown fact"),
            (lambda r: r["rules"][0].update(tests=[]), "test cases"),
            (lambda r: r["rules"][0].update(colour="blue"), "colour"),
            (lambda r: r["rules"][0].update(colour="green"), "green is the default"),
            (lambda r: r["rules"][1].update(id=r["rules"][0]["id"]), "unique"),
            (lambda r: r["rules"][0].pop("explanation"), "explanation"),
            (lambda r: r["streak"].update(days={"red": 14}), "streak.days"),
            (
                lambda r: r["rules"][0].update(tests=[r["rules"][0]["tests"][0]]),
                "both a match and a non-match",
            ),
        ],
    )
    def test_a_malformed_ruleset_is_refused(self, break_it: Any, message: str) -> None:
        raw = copy.deepcopy(_raw())
        break_it(raw)
        with pytest.raises(RulesetError, match=message):
            parse_ruleset(raw)

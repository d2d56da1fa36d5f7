"""The colour rules, kept as data (healthcode/rulesets/*.json) and evaluated here.

In the spirit of the EU's CertLogic, a rule is an id, a version, a colour, an explanation, a
JsonLogic-style condition over the facts of one event, and its own test cases; the suite runs
every case (tests/healthcode/test_rules.py), and loading refuses a malformed ruleset. The
format is documented in docs/healthcode-rules.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

Colour = Literal["green", "yellow", "red"]
COLOURS: tuple[Colour, ...] = ("green", "yellow", "red")
RANK: dict[str, int] = {"green": 0, "yellow": 1, "red": 2}
ACTIVE_RULESET = "v1.json"

# The facts a condition may read, with their value when an event does not provide them.
FACT_DEFAULTS: dict[str, Any] = {
    "temperature_c": None,
    "symptoms": [],
    "close_contact": False,
    "visited_risk_levels": [],
    "traced": None,
}


class RulesetError(ValueError):
    """The ruleset file is malformed; the message names the rule and the problem."""


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return op(a, b)
        except TypeError:
            return False

    return compare


_BINARY: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    ">": _compare(lambda a, b: a > b),
    ">=": _compare(lambda a, b: a >= b),
    "<": _compare(lambda a, b: a < b),
    "<=": _compare(lambda a, b: a <= b),
    "in": lambda a, b: isinstance(b, list | str) and a in b,
}
_OPERATORS = {"var", "and", "or", "!", "!!", *_BINARY}


def apply_logic(logic: Any, facts: Mapping[str, Any]) -> Any:
    """Evaluate a condition: a literal, or `{operator: arguments}` (a JsonLogic subset)."""
    if isinstance(logic, list):
        return [apply_logic(item, facts) for item in logic]
    if not isinstance(logic, dict):
        return logic
    ((op, args),) = logic.items()
    if op == "var":
        return facts.get(args, FACT_DEFAULTS.get(args))
    if op == "!":
        return not apply_logic(args, facts)
    if op == "!!":
        return bool(apply_logic(args, facts))
    values = args if isinstance(args, list) else [args]
    if op == "and":
        return all(apply_logic(v, facts) for v in values)
    if op == "or":
        return any(apply_logic(v, facts) for v in values)
    left, right = (apply_logic(v, facts) for v in values)
    return _BINARY[op](left, right)


def _check_logic(logic: Any, where: str) -> None:
    if isinstance(logic, list):
        for item in logic:
            _check_logic(item, where)
        return
    if not isinstance(logic, dict):
        return
    if len(logic) != 1:
        raise RulesetError(f"{where}: a condition has exactly one operator")
    ((op, args),) = logic.items()
    if op not in _OPERATORS:
        raise RulesetError(f"{where}: unknown operator {op!r}")
    if op == "var":
        if args not in FACT_DEFAULTS:
            raise RulesetError(f"{where}: unknown fact {args!r}")
        return
    if op in _BINARY and not (isinstance(args, list) and len(args) == 2):
        raise RulesetError(f"{where}: {op!r} takes two arguments")
    _check_logic(args, where)


@dataclass(frozen=True)
class RuleCase:
    name: str
    facts: dict[str, Any]
    expect: bool


@dataclass(frozen=True)
class Rule:
    id: str
    version: str
    colour: Colour
    reason: str
    explanation: str
    logic: Any
    tests: tuple[RuleCase, ...]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return bool(apply_logic(self.logic, facts))


@dataclass(frozen=True)
class FixedRule:
    """A rule whose effect is built into the model (default green, streak, override)."""

    id: str
    version: str
    reason: str
    explanation: str


@dataclass(frozen=True)
class RulesetCase:
    name: str
    facts: dict[str, Any]
    colour: Colour
    rule_id: str


@dataclass(frozen=True)
class Verdict:
    colour: Colour
    rule_id: str
    reason: str


@dataclass(frozen=True)
class Ruleset:
    version: str
    description: str
    rules: tuple[Rule, ...]
    green: FixedRule
    streak: FixedRule
    override: FixedRule
    streak_days: dict[str, int]
    cases: tuple[RulesetCase, ...]

    def evaluate(self, facts: Mapping[str, Any]) -> Verdict:
        """The worst matching rule (file order breaks ties), else the default green."""
        worst: Rule | None = None
        for rule in self.rules:
            if (worst is None or RANK[rule.colour] > RANK[worst.colour]) and rule.matches(facts):
                worst = rule
        if worst is None:
            return Verdict("green", self.green.id, self.green.reason)
        return Verdict(worst.colour, worst.id, worst.reason)

    def days_to_green(self, colour: str) -> int:
        return self.streak_days.get(colour, 0)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesetError(f"{where}: {key!r} must be a non-empty string")
    return value


def _fixed(raw: Any, where: str) -> FixedRule:
    if not isinstance(raw, dict):
        raise RulesetError(f"{where}: missing")
    return FixedRule(
        _text(raw, "id", where),
        _text(raw, "version", where),
        _text(raw, "reason", where),
        _text(raw, "explanation", where),
    )


def _colour(value: Any, where: str) -> Colour:
    for colour in COLOURS:
        if value == colour:
            return colour
    raise RulesetError(f"{where}: colour must be one of {', '.join(COLOURS)}")


def _rule(raw: Any, index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise RulesetError(f"{where}: must be an object")
    rule_id = _text(raw, "id", where)
    where = f"rule {rule_id}"
    colour = _colour(raw.get("colour"), where)
    if colour == "green":
        raise RulesetError(f"{where}: a rule raises the colour; green is the default")
    _check_logic(raw.get("logic"), where)
    tests = raw.get("tests")
    if not isinstance(tests, list) or not tests:
        raise RulesetError(f"{where}: every rule needs test cases")
    cases = []
    for case in tests:
        if not isinstance(case, dict) or not isinstance(case.get("expect"), bool):
            raise RulesetError(f"{where}: a test case needs name, facts and expect (true/false)")
        cases.append(
            RuleCase(_text(case, "name", where), dict(case.get("facts") or {}), case["expect"])
        )
    if not any(c.expect for c in cases) or all(c.expect for c in cases):
        raise RulesetError(f"{where}: test cases must show both a match and a non-match")
    return Rule(
        rule_id,
        _text(raw, "version", where),
        colour,
        _text(raw, "reason", where),
        _text(raw, "explanation", where),
        raw["logic"],
        tuple(cases),
    )


def parse_ruleset(raw: Any) -> Ruleset:
    """Validate and build a ruleset from its JSON document."""
    if not isinstance(raw, dict):
        raise RulesetError("a ruleset is a JSON object")
    rules = tuple(_rule(r, i) for i, r in enumerate(raw.get("rules") or []))
    if not rules:
        raise RulesetError("a ruleset needs rules")
    streak = raw.get("streak") or {}
    days = streak.get("days") if isinstance(streak, dict) else None
    if not isinstance(days, dict) or not all(
        isinstance(days.get(c), int) and days[c] > 0 for c in ("red", "yellow")
    ):
        raise RulesetError("streak.days must give positive day counts for red and yellow")
    ids = [r.id for r in rules]
    fixed = [_fixed(raw.get(k), k) for k in ("green", "streak", "override")]
    ids += [f.id for f in fixed]
    if len(set(ids)) != len(ids):
        raise RulesetError("rule ids must be unique")
    cases = tuple(
        RulesetCase(
            _text(c, "name", "cases"),
            dict(c.get("facts") or {}),
            _colour(c.get("colour"), "cases"),
            _text(c, "rule_id", "cases"),
        )
        for c in raw.get("cases") or []
    )
    return Ruleset(
        version=_text(raw, "version", "ruleset"),
        description=_text(raw, "description", "ruleset"),
        rules=rules,
        green=fixed[0],
        streak=fixed[1],
        override=fixed[2],
        streak_days={"red": days["red"], "yellow": days["yellow"]},
        cases=cases,
    )


def load_ruleset(name: str = ACTIVE_RULESET) -> Ruleset:
    text = resources.files("healthcode.rulesets").joinpath(name).read_text(encoding="utf-8")
    try:
        return parse_ruleset(json.loads(text))
    except RulesetError as exc:
        raise RulesetError(f"{name}: {exc}") from None


@lru_cache(maxsize=1)
def active_ruleset() -> Ruleset:
    return load_ruleset()

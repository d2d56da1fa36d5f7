"""Eligibility rules kept as data, judged against what the platform knows of a citizen.

A programme's rules are a JSON list stored with it; every rule must hold. The facts come from
the SDK's citizen directory: the birth date and region of the verified ID, and the app's keyed
hash of the ID number (for the department's list). Pure functions: no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec

from miniapps.benefits.schemas import RuleIn, RuleOut
from miniapps.sdk import CitizenFacts, FieldError, ValidationFailed


def check(rules: Sequence[RuleIn]) -> list[RuleOut]:
    """The rules as stored, or 422 naming the rule that makes no sense."""
    errors = []
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if rule.kind == "age":
            if rule.min_age is None and rule.max_age is None:
                errors.append(FieldError(where, "an age rule needs min_age, max_age or both"))
            elif (rule.min_age or 0) > (rule.max_age if rule.max_age is not None else 150):
                errors.append(FieldError(where, "min_age is above max_age"))
            if rule.regions is not None:
                errors.append(FieldError(where, "an age rule takes no regions"))
        elif rule.kind == "region":
            if not rule.regions:
                errors.append(FieldError(where, "a region rule needs regions"))
            if rule.min_age is not None or rule.max_age is not None:
                errors.append(FieldError(where, "a region rule takes no ages"))
        elif any(v is not None for v in (rule.min_age, rule.max_age, rule.regions)):
            errors.append(FieldError(where, "a list rule takes no ages or regions"))
    kinds = [rule.kind for rule in rules]
    if len(set(kinds)) != len(kinds):
        errors.append(FieldError("rules", "give each kind of rule once"))
    if errors:
        raise ValidationFailed(errors=errors)
    return [RuleOut(r.kind, r.min_age, r.max_age, r.regions) for r in rules]


def encode(rules: list[RuleOut]) -> str:
    return msgspec.json.encode(rules).decode()


def decode(stored: str) -> list[RuleOut]:
    return msgspec.json.decode(stored, type=list[RuleOut])


def needs_list(rules: list[RuleOut]) -> bool:
    return any(rule.kind == "list" for rule in rules)


def age_on(born: date, day: date) -> int:
    """Whole years on `day` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _region_prefix(code: str) -> str:
    """`330100` → `3301`, `330000` → `33`: a code covers every code it is a prefix of."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def eligible(rules: list[RuleOut], facts: CitizenFacts, day: date, listed: bool) -> bool:
    """Does every rule hold for this citizen on the payment `day`?"""
    for rule in rules:
        if rule.kind == "age":
            age = age_on(facts.birth_date, day)
            if rule.min_age is not None and age < rule.min_age:
                return False
            if rule.max_age is not None and age > rule.max_age:
                return False
        elif rule.kind == "region":
            regions = rule.regions or []
            if not any(facts.region_code.startswith(_region_prefix(r)) for r in regions):
                return False
        elif not listed:
            return False
    return True

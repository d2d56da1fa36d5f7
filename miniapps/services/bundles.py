"""Service bundles as data: fields (who fills each), steps (each a department's procedure).

A platform admin writes a bundle with `PUT /admin/bundles/{code}`; the demo loads two. The
checks here keep a definition coherent: keys and codes unique, every field a step reads is
declared, the platform fills only what it knows.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from miniapps.sdk import (
    FieldError,
    ValidationFailed,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    now,
)
from miniapps.services.errors import BundleNotFound
from miniapps.services.schemas import BundleIn, BundleOut, FieldSpec, StepSpec


class Definition(msgspec.Struct):
    fields: list[FieldSpec]
    steps: list[StepSpec]


CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def check(code: str, bundle: BundleIn) -> None:
    """Refuse an incoherent definition, naming each fault (422 validation_error)."""
    errors: list[FieldError] = []
    if not CODE.fullmatch(code):
        errors.append(FieldError("code", "2–40 of a-z 0-9 _, starting with a letter"))
    keys: set[str] = set()
    for i, spec in enumerate(bundle.fields):
        if spec.key in keys:
            errors.append(FieldError(f"fields[{i}].key", "declared twice"))
        keys.add(spec.key)
        if spec.reusable and spec.source != "ask":
            errors.append(FieldError(f"fields[{i}].reusable", "only asked fields are reused"))
    codes: set[str] = set()
    for i, step in enumerate(bundle.steps):
        if step.code in codes:
            errors.append(FieldError(f"steps[{i}].code", "declared twice"))
        codes.add(step.code)
        for j, key in enumerate(step.fields):
            if key not in keys:
                errors.append(FieldError(f"steps[{i}].fields[{j}]", "not a field of the bundle"))
        if len(set(step.materials)) != len(step.materials):
            errors.append(FieldError(f"steps[{i}].materials", "a material is named twice"))
    if errors:
        raise ValidationFailed("The bundle's definition does not hold together.", errors=errors)


async def save(code: str, bundle: BundleIn) -> BundleOut:
    """Create or replace a bundle; applications under way keep the definition they started with."""
    check(code, bundle)
    definition = msgspec.json.encode(Definition(bundle.fields, bundle.steps)).decode()
    async with atomic():
        await fetch(
            "INSERT INTO services_bundle (code, name, description, definition, updated_at) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
            "description = EXCLUDED.description, definition = EXCLUDED.definition, "
            "updated_at = EXCLUDED.updated_at",
            code,
            bundle.name,
            bundle.description,
            definition,
            now(),
        )
    return BundleOut(code, bundle.name, bundle.description, bundle.fields, bundle.steps)


def parse(definition: str) -> Definition:
    return msgspec.json.decode(definition, type=Definition)


def _out(row: dict[str, Any]) -> BundleOut:
    parsed = parse(row["definition"])
    return BundleOut(row["code"], row["name"], row["description"], parsed.fields, parsed.steps)


async def get(code: str) -> BundleOut:
    row = await fetch_one(
        "SELECT code, name, description, definition FROM services_bundle WHERE code = {}", code
    )
    if row is None:
        raise BundleNotFound("No service bundle has this code.")
    return _out(row)


async def page(limit: int, cursor: str | None) -> tuple[list[BundleOut], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT code, name, description, definition FROM services_bundle WHERE code > {} "
        "ORDER BY code LIMIT {}",
        str(after[0]) if after else "",
        limit + 1,
    )
    items = [_out(row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, encode_cursor(items[-1].code) if more and items else None

"""The departments' desk: each department's staff read their own steps, only the fields and
materials those steps declare, and move them (accepted, needs more, approved, refused).

A step another department owns, or one not yet submitted, is 404 to them, like an unknown
id. A decision is one conditional `UPDATE … WHERE status IN (…)`: of two at once, one wins
and the other is 409 `step_not_waiting`.
"""

from __future__ import annotations

import json
from typing import Any

from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    NotFound,
    ValidationFailed,
    as_utc,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    maybe_utc,
    now,
)
from miniapps.services import bundles, materials, notices
from miniapps.services.applications import record
from miniapps.services.errors import StepNotWaiting
from miniapps.services.schemas import DecisionIn, DeskFieldOut, DeskStepOut, StepSpec
from miniapps.services.staff import departments_of
from miniapps.services.status import DECISION_FROM, overall
from miniapps.services.views import field_purpose, material_out, materials_of

_STEP_SQL = (
    "SELECT s.id, s.application, s.code, s.department, s.title, s.status, s.requested, s.note, "
    "s.updated_at, a.bundle, a.name, a.openid, a.definition, a.submitted_at "
    "FROM services_step s JOIN services_application a ON a.id = s.application "
)
STATUSES = ("submitted", "accepted", "needs_more", "approved", "refused")


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("{}" for _ in values)


async def _step(departments: tuple[str, ...], step_id: str) -> dict[str, Any]:
    row = await fetch_one(
        _STEP_SQL + f"WHERE s.id = {{}} AND s.department IN ({_marks(departments)}) "
        "AND s.status != 'pending'",
        step_id,
        *departments,
    )
    if row is None:
        raise NotFound("No such step for your department.")
    return row


def _spec(row: dict[str, Any]) -> StepSpec:
    definition = bundles.parse(row["definition"])
    return next(s for s in definition.steps if s.code == row["code"])


async def _out(ctx: MiniAppContext, row: dict[str, Any], opened: bool) -> DeskStepOut:
    """The step; with `opened`, its own fields unsealed (and no other field of the application)."""
    definition = bundles.parse(row["definition"])
    spec = _spec(row)
    labels = {f.key: f.label for f in definition.fields}
    fields: list[DeskFieldOut] = []
    attached = []
    if opened:
        values = await fetch(
            "SELECT key, sealed FROM services_field_value WHERE application = {}",
            row["application"],
        )
        sealed = {v["key"]: v["sealed"] for v in values if v["key"] in spec.fields}
        for key in spec.fields:
            value = sealed.get(key)
            fields.append(
                DeskFieldOut(
                    key,
                    labels[key],
                    ctx.unseal(value, field_purpose(row["application"], key)) if value else None,
                )
            )
        attached = [
            material_out(ctx, m) for m in await materials_of(row["application"], row["code"])
        ]
    return DeskStepOut(
        id=row["id"],
        application_id=row["application"],
        bundle=row["bundle"],
        code=row["code"],
        department=row["department"],
        title=row["title"],
        status=row["status"],
        requested=json.loads(row["requested"]),
        note=row["note"],
        fields=fields,
        materials=attached,
        submitted_at=maybe_utc(row["submitted_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


async def queue(
    ctx: MiniAppContext, status: str | None, limit: int, cursor: str | None
) -> tuple[list[DeskStepOut], str | None]:
    """The department's submitted steps (or those of one status), without their fields."""
    departments = await departments_of(ctx)
    after = decode_cursor(cursor)
    wanted = (status,) if status else STATUSES
    rows = await fetch(
        _STEP_SQL + f"WHERE s.department IN ({_marks(departments)}) "
        f"AND s.status IN ({_marks(wanted)}) AND s.id > {{}} ORDER BY s.id LIMIT {{}}",
        *departments,
        *wanted,
        str(after[0]) if after else "",
        limit + 1,
    )
    items = [await _out(ctx, row, opened=False) for row in rows[:limit]]
    more = len(rows) > limit
    return items, encode_cursor(items[-1].id) if more and items else None


async def read(ctx: MiniAppContext, step_id: str) -> DeskStepOut:
    """The step with its fields unsealed: the applicant's data-access log records the read."""
    row = await _step(await departments_of(ctx), step_id)
    detail = f"{row['department']}: {row['title']}"
    await ctx.record_staff_read(row["openid"], "step_opened", detail)
    return await _out(ctx, row, opened=True)


async def material(ctx: MiniAppContext, step_id: str, material_id: str) -> tuple[bytes, str]:
    """A material of the department's own step: its bytes and type."""
    row = await _step(await departments_of(ctx), step_id)
    found = await fetch_one(
        "SELECT storage_key, content_type FROM services_material "
        "WHERE id = {} AND application = {} AND step = {}",
        material_id,
        row["application"],
        row["code"],
    )
    data = await materials.store_for(ctx).get(found["storage_key"]) if found else None
    if found is None or data is None:
        raise NotFound("No such material for this step.")
    await ctx.record_staff_read(row["openid"], "material_opened", f"{row['department']}")
    return data, str(found["content_type"])


def _check(spec: StepSpec, definition: bundles.Definition, decision: DecisionIn) -> None:
    if decision.status != "needs_more":
        extra = [name for name in ("fields", "materials") if getattr(decision, name)]
        if extra:
            raise ValidationFailed(errors=[FieldError(n, "only with needs_more") for n in extra])
        return
    if not decision.fields and not decision.materials:
        raise ValidationFailed(
            errors=[FieldError("fields", "say which fields or materials you need")]
        )
    asked = {f.key for f in definition.fields if f.source == "ask"}
    errors = [
        FieldError(f"fields[{i}]", "not an asked field of this step")
        for i, key in enumerate(decision.fields)
        if key not in spec.fields or key not in asked
    ]
    errors += [
        FieldError(f"materials[{i}]", "not a material of this step")
        for i, kind in enumerate(decision.materials)
        if kind not in spec.materials
    ]
    if errors:
        raise ValidationFailed(errors=errors)


def requested_of(step: str, decision: DecisionIn) -> list[str]:
    """What the citizen must give again: field keys, then `material:<step>.<kind>`."""
    kinds = sorted(set(decision.materials))
    return sorted(set(decision.fields)) + [f"material:{step}.{kind}" for kind in kinds]


async def decide(ctx: MiniAppContext, step_id: str, decision: DecisionIn) -> DeskStepOut:
    departments = await departments_of(ctx)
    async with atomic():
        row = await _step(departments, step_id)
        _check(_spec(row), bundles.parse(row["definition"]), decision)
        allowed = DECISION_FROM[decision.status]
        requested = requested_of(row["code"], decision)
        moved = await fetch(
            "UPDATE services_step SET status = {}, requested = {}, note = {}, updated_at = {} "
            f"WHERE id = {{}} AND status IN ({_marks(allowed)}) RETURNING id",
            decision.status,
            json.dumps(requested),
            decision.note,
            now(),
            step_id,
            *allowed,
        )
        if not moved:
            raise StepNotWaiting(
                f"This step is {row['status']}; it cannot be {decision.status} now."
            )
        if decision.materials:
            kinds = sorted(set(decision.materials))
            await fetch(
                "UPDATE services_material SET superseded_at = {} WHERE application = {} "
                f"AND step = {{}} AND superseded_at IS NULL AND kind IN ({_marks(tuple(kinds))})",
                now(),
                row["application"],
                row["code"],
                *kinds,
            )
        await record(step_id, decision.status, f"department:{row['department']}", decision.note)
        steps = await fetch(
            "SELECT status FROM services_step WHERE application = {}", row["application"]
        )
        now_overall = overall(True, [str(step["status"]) for step in steps])
        citizen = await ctx.for_openid(row["openid"])
        await notices.tell(
            citizen,
            row["application"],
            row["name"],
            f"{row['title']}: {decision.status}; 申请 application: {now_overall}",
            now_overall,
        )
        return await _out(ctx, await _step(departments, step_id), opened=True)

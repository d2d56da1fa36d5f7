"""Reading an application back: its fields (opened for their owner), steps and materials,
what is still missing, and the one status derived from the steps."""

from __future__ import annotations

import json
from typing import Any

from miniapps.sdk import (
    MiniAppContext,
    NotFound,
    as_utc,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    maybe_utc,
)
from miniapps.services import bundles
from miniapps.services.schemas import (
    ApplicationBrief,
    ApplicationOut,
    FieldOut,
    MaterialOut,
    StepEventOut,
    StepOut,
)
from miniapps.services.status import overall


def field_purpose(application_id: str, key: str) -> str:
    return f"field:{application_id}:{key}"


def material_out(ctx: MiniAppContext, row: dict[str, Any]) -> MaterialOut:
    return MaterialOut(
        id=row["id"],
        step=row["step"],
        kind=row["kind"],
        filename=ctx.unseal(row["filename"], f"filename:{row['id']}"),
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        created_at=as_utc(row["created_at"]),
    )


def step_out(row: dict[str, Any]) -> StepOut:
    return StepOut(
        id=row["id"],
        code=row["code"],
        department=row["department"],
        title=row["title"],
        status=row["status"],
        requested=json.loads(row["requested"]),
        note=row["note"],
        updated_at=as_utc(row["updated_at"]),
    )


async def application_row(openid: str, application_id: str) -> dict[str, Any]:
    """The citizen's own application; anyone else's is 404, like an unknown id."""
    row = await fetch_one(
        "SELECT id, bundle, name, openid, definition, submitted_at, created_at "
        "FROM services_application WHERE id = {} AND openid = {}",
        application_id,
        openid,
    )
    if row is None:
        raise NotFound("No such application.")
    return row


async def steps_of(application_id: str) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT id, code, department, title, status, requested, note, updated_at "
        "FROM services_step WHERE application = {} ORDER BY position",
        application_id,
    )


async def values_of(application_id: str) -> dict[str, dict[str, Any]]:
    rows = await fetch(
        "SELECT key, sealed, filled_from FROM services_field_value WHERE application = {}",
        application_id,
    )
    return {row["key"]: row for row in rows}


async def materials_of(application_id: str, step: str | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT id, step, kind, filename, content_type, size, sha256, created_at "
        "FROM services_material WHERE application = {} AND superseded_at IS NULL"
    )
    if step is None:
        return await fetch(sql + " ORDER BY created_at, id", application_id)
    return await fetch(sql + " AND step = {} ORDER BY created_at, id", application_id, step)


def missing(
    definition: bundles.Definition, values: dict[str, Any], materials: list[dict[str, Any]]
) -> list[str]:
    """Every field not yet filled, then every declared material not yet attached."""
    gaps = [spec.key for spec in definition.fields if spec.key not in values]
    attached = {(row["step"], row["kind"]) for row in materials}
    for step in definition.steps:
        gaps += [
            f"material:{step.code}.{k}" for k in step.materials if (step.code, k) not in attached
        ]
    return gaps


async def view(ctx: MiniAppContext, openid: str, application_id: str) -> ApplicationOut:
    row = await application_row(openid, application_id)
    definition = bundles.parse(row["definition"])
    values = await values_of(application_id)
    steps = [step_out(s) for s in await steps_of(application_id)]
    events = await fetch(
        "SELECT e.step, e.status, e.actor, e.note, e.at FROM services_step_event e "
        "JOIN services_step s ON s.id = e.step WHERE s.application = {} ORDER BY e.seq",
        application_id,
    )
    for step in steps:
        step.history = [
            StepEventOut(e["status"], e["actor"], e["note"], as_utc(e["at"]))
            for e in events
            if e["step"] == step.id
        ]
    materials = await materials_of(application_id)
    fields = []
    for spec in definition.fields:
        value = values.get(spec.key)
        opened = (
            ctx.unseal(value["sealed"], field_purpose(application_id, spec.key)) if value else None
        )
        fields.append(
            FieldOut(
                key=spec.key,
                label=spec.label,
                source=spec.source,
                filled=value is not None,
                filled_from=value["filled_from"] if value else None,
                value=opened,
            )
        )
    submitted = row["submitted_at"] is not None
    gaps = missing(definition, values, materials) if not submitted else []
    attached = {f"material:{m['step']}.{m['kind']}" for m in materials}
    for step in steps:
        if step.status == "needs_more":
            gaps += [key for key in step.requested if key not in gaps and key not in attached]
    return ApplicationOut(
        id=row["id"],
        bundle=row["bundle"],
        name=row["name"],
        status=overall(submitted, [s.status for s in steps]),
        missing=gaps,
        fields=fields,
        steps=steps,
        materials=[material_out(ctx, m) for m in materials],
        created_at=as_utc(row["created_at"]),
        submitted_at=maybe_utc(row["submitted_at"]),
    )


async def page(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[ApplicationBrief], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT id, bundle, name, submitted_at, created_at FROM services_application "
        "WHERE openid = {} AND id > {} ORDER BY id LIMIT {}",
        openid,
        str(after[0]) if after else "",
        limit + 1,
    )
    items = []
    for row in rows[:limit]:
        statuses = [s["status"] for s in await steps_of(row["id"])]
        items.append(
            ApplicationBrief(
                id=row["id"],
                bundle=row["bundle"],
                name=row["name"],
                status=overall(row["submitted_at"] is not None, statuses),
                created_at=as_utc(row["created_at"]),
                submitted_at=maybe_utc(row["submitted_at"]),
            )
        )
    more = len(rows) > limit
    return items, encode_cursor(items[-1].id) if more and items else None

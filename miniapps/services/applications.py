"""A citizen's application: started with what the platform knows, filled, submitted once,
and answered step by step when a department asks for more.

Fields the platform knows (the real name, a per-app hash of the ID number: never the number)
and reusable fields the citizen gave in an earlier application are filled at the start: the
citizen fills only the rest ("字段复用、数据默认"). Every value is sealed with the app's key,
its purpose naming the application and the field.
"""

from __future__ import annotations

import json

import msgspec

from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    ValidationFailed,
    atomic,
    fetch,
    fetch_one,
    new_id,
    now,
)
from miniapps.services import bundles, materials, notices
from miniapps.services.errors import (
    ApplicationIncomplete,
    ApplicationNotDraft,
    BundleNotFound,
    StepNotWaiting,
)
from miniapps.services.schemas import ApplicationOut, MaterialIn, MaterialOut
from miniapps.services.views import (
    application_row,
    field_purpose,
    material_out,
    materials_of,
    missing,
    values_of,
    view,
)


def remembered_purpose(openid: str, key: str) -> str:
    return f"remembered:{openid}:{key}"


async def _platform_values(ctx: MiniAppContext, definition: bundles.Definition) -> dict[str, str]:
    """What the platform knows, read only when the bundle asks for it (`identity.realname`)."""
    sources = {spec.source for spec in definition.fields}
    if not sources & {"real_name", "id_hash"}:
        return {}
    person = await ctx.identity.real_identity()  # 403 scope_required / real_name_required
    known = {"real_name": person.real_name, "id_hash": person.id_hash}
    return {spec.key: known[spec.source] for spec in definition.fields if spec.source in known}


async def _remembered(
    ctx: MiniAppContext, openid: str, definition: bundles.Definition
) -> dict[str, str]:
    reusable = {spec.key for spec in definition.fields if spec.reusable}
    if not reusable:
        return {}
    rows = await fetch("SELECT key, sealed FROM services_remembered WHERE openid = {}", openid)
    return {
        row["key"]: ctx.unseal(row["sealed"], remembered_purpose(openid, row["key"]))
        for row in rows
        if row["key"] in reusable
    }


async def _put_value(
    ctx: MiniAppContext, application_id: str, key: str, value: str, filled_from: str
) -> None:
    await fetch(
        "INSERT INTO services_field_value (id, application, key, slot, sealed, filled_from, "
        "updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (slot) DO UPDATE SET "
        "sealed = EXCLUDED.sealed, filled_from = EXCLUDED.filled_from, "
        "updated_at = EXCLUDED.updated_at",
        new_id(),
        application_id,
        key,
        f"{application_id}:{key}",
        ctx.seal(value, field_purpose(application_id, key)),
        filled_from,
        now(),
    )


async def _remember(ctx: MiniAppContext, openid: str, key: str, value: str) -> None:
    await fetch(
        "INSERT INTO services_remembered (slot, openid, key, sealed, updated_at) "
        "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (slot) DO UPDATE SET "
        "sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at",
        f"{openid}:{key}",
        openid,
        key,
        ctx.seal(value, remembered_purpose(openid, key)),
        now(),
    )


async def start(ctx: MiniAppContext, bundle_code: str) -> ApplicationOut:
    openid = ctx.require_citizen()
    try:
        bundle = await bundles.get(bundle_code)
    except BundleNotFound:
        raise ValidationFailed(errors=[FieldError("bundle", "no such service bundle")]) from None
    definition = bundles.Definition(bundle.fields, bundle.steps)
    known = await _platform_values(ctx, definition)
    earlier = await _remembered(ctx, openid, definition)
    application_id, at = new_id(), now()
    async with atomic():
        await fetch(
            "INSERT INTO services_application (id, bundle, name, openid, definition, "
            "submitted_at, created_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
            application_id,
            bundle.code,
            bundle.name,
            openid,
            _encode(definition),
            None,
            at,
        )
        for key, value in known.items():
            await _put_value(ctx, application_id, key, value, "platform")
        for key, value in earlier.items():
            await _put_value(ctx, application_id, key, value, "earlier_application")
        for position, step in enumerate(definition.steps):
            await fetch(
                "INSERT INTO services_step (id, application, code, department, title, position, "
                "status, requested, note, updated_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, 'pending', '[]', '', {})",
                new_id(),
                application_id,
                step.code,
                step.department,
                step.title,
                position,
                at,
            )
    return await view(ctx, openid, application_id)


def _encode(definition: bundles.Definition) -> str:
    return msgspec.json.encode(definition).decode()


def _check_keys(
    definition: bundles.Definition, given: dict[str, str], allowed: set[str] | None = None
) -> None:
    """Only fields the citizen answers: declared, asked (not the platform's), and, when a
    department asked for more, only those it asked for."""
    specs = {spec.key: spec for spec in definition.fields}
    errors = []
    for key in given:
        spec = specs.get(key)
        if spec is None:
            errors.append(FieldError(f"fields.{key}", "not a field of this application"))
        elif spec.source != "ask":
            errors.append(FieldError(f"fields.{key}", "filled from the platform, not asked"))
        elif allowed is not None and key not in allowed:
            errors.append(FieldError(f"fields.{key}", "the department did not ask for this"))
    if errors:
        raise ValidationFailed(errors=errors)


async def _fill(
    ctx: MiniAppContext,
    openid: str,
    application_id: str,
    definition: bundles.Definition,
    given: dict[str, str],
) -> None:
    reusable = {spec.key for spec in definition.fields if spec.reusable}
    for key, value in given.items():
        await _put_value(ctx, application_id, key, value, "citizen")
        if key in reusable:
            await _remember(ctx, openid, key, value)


async def fill(ctx: MiniAppContext, application_id: str, given: dict[str, str]) -> ApplicationOut:
    openid = ctx.require_citizen()
    async with atomic():
        row = await application_row(openid, application_id)
        if row["submitted_at"] is not None:
            raise ApplicationNotDraft("Submitted: answer a department's request on its step.")
        definition = bundles.parse(row["definition"])
        _check_keys(definition, given)
        await _fill(ctx, openid, application_id, definition, given)
    return await view(ctx, openid, application_id)


async def attach(ctx: MiniAppContext, application_id: str, data: MaterialIn) -> MaterialOut:
    """A material for one step: while a draft, or while that step needs more."""
    openid = ctx.require_citizen()
    content = materials.decode(data.content_base64, data.content_type)
    async with atomic():
        row = await application_row(openid, application_id)
        definition = bundles.parse(row["definition"])
        step = next((s for s in definition.steps if s.code == data.step), None)
        if step is None:
            raise ValidationFailed(errors=[FieldError("step", "not a step of this application")])
        if data.kind not in step.materials:
            raise ValidationFailed(
                errors=[FieldError("kind", "this step asks for no such material")]
            )
        if row["submitted_at"] is not None:
            waiting = await fetch_one(
                "SELECT id FROM services_step WHERE application = {} AND code = {} "
                "AND status = 'needs_more'",
                application_id,
                data.step,
            )
            if waiting is None:
                raise ApplicationNotDraft("Submitted: materials go only to a step that needs more.")
        material_id, key = new_id(), materials.new_key()
        await materials.store_for(ctx).put(key, content)
        await fetch(
            "INSERT INTO services_material (id, application, step, kind, filename, "
            "content_type, size, sha256, storage_key, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            material_id,
            application_id,
            data.step,
            data.kind,
            ctx.seal(data.filename, f"filename:{material_id}"),
            data.content_type,
            len(content),
            materials.fingerprint(content),
            key,
            now(),
        )
        found = await fetch_one(
            "SELECT id, step, kind, filename, content_type, size, sha256, created_at "
            "FROM services_material WHERE id = {}",
            material_id,
        )
    assert found is not None
    return material_out(ctx, found)


async def submit(ctx: MiniAppContext, application_id: str) -> ApplicationOut:
    """Submit once: every field and material there, then every step goes to its department."""
    openid = ctx.require_citizen()
    async with atomic():
        row = await application_row(openid, application_id)
        if row["submitted_at"] is not None:
            raise ApplicationNotDraft("This application was already submitted.")
        definition = bundles.parse(row["definition"])
        gaps = missing(
            definition, await values_of(application_id), await materials_of(application_id)
        )
        if gaps:
            raise ApplicationIncomplete(
                "Fill every field and attach every material before submitting.",
                errors=[FieldError(gap, "missing") for gap in gaps],
            )
        at = now()
        claimed = await fetch(
            "UPDATE services_application SET submitted_at = {} WHERE id = {} "
            "AND submitted_at IS NULL RETURNING id",
            at,
            application_id,
        )
        if not claimed:
            raise ApplicationNotDraft("This application was already submitted.")
        steps = await fetch(
            "UPDATE services_step SET status = 'submitted', updated_at = {} "
            "WHERE application = {} RETURNING id",
            at,
            application_id,
        )
        for step in steps:
            await record(step["id"], "submitted", "citizen", "")
        await notices.tell(ctx, application_id, row["name"], "已提交 submitted", "in_progress")
    return await view(ctx, openid, application_id)


async def resubmit(
    ctx: MiniAppContext, application_id: str, step_code: str, given: dict[str, str]
) -> ApplicationOut:
    """Answer a department's "needs more": exactly the fields it asked for (and the materials
    it asked for attached again), then the step goes back to it."""
    openid = ctx.require_citizen()
    async with atomic():
        row = await application_row(openid, application_id)
        step = await fetch_one(
            "SELECT id, status, requested FROM services_step WHERE application = {} AND code = {}",
            application_id,
            step_code,
        )
        if step is None:
            raise ValidationFailed(errors=[FieldError("step", "not a step of this application")])
        if step["status"] != "needs_more":
            raise StepNotWaiting(f"This step is {step['status']}: nothing was asked of you.")
        definition = bundles.parse(row["definition"])
        requested = json.loads(step["requested"])
        asked = {key for key in requested if not key.startswith("material:")}
        _check_keys(definition, given, asked)
        errors = [
            FieldError(f"fields.{key}", "asked for by the department")
            for key in sorted(asked - set(given))
        ]
        attached = {f"material:{m['step']}.{m['kind']}" for m in await materials_of(application_id)}
        errors += [
            FieldError(item, "attach it again: the department asked for it")
            for item in requested
            if item.startswith("material:") and item not in attached
        ]
        if errors:
            raise ValidationFailed("Give everything the department asked for.", errors=errors)
        await _fill(ctx, openid, application_id, definition, given)
        moved = await fetch(
            "UPDATE services_step SET status = 'submitted', requested = '[]', updated_at = {} "
            "WHERE id = {} AND status = 'needs_more' RETURNING id",
            now(),
            step["id"],
        )
        if not moved:
            raise StepNotWaiting("This step has already moved on.")
        await record(step["id"], "submitted", "citizen", "")
    return await view(ctx, openid, application_id)


async def record(step_id: str, status: str, actor: str, note: str) -> None:
    await fetch(
        "INSERT INTO services_step_event (id, step, seq, status, actor, note, at) "
        "VALUES ({}, {}, (SELECT count(*) + 1 FROM services_step_event WHERE step = {}), "
        "{}, {}, {}, {})",
        new_id(),
        step_id,
        step_id,
        status,
        actor,
        note,
        now(),
    )

"""The authorization matrix's entries for the services mini-app (一件事).

The world's `citizen` is both an applicant (who granted the app what its bundles need) and
the staff of the test bundle's departments, so that the desk routes have one principal
allowed (every other citizen is no staff: 403). The admin routes are the platform admin's;
gates are no devices of this app (it declares no venue kinds): 403 everywhere in it.
"""

from __future__ import annotations

from typing import Any

from tests.app.authorization_rules import Builder, Call, Rule, static
from tests.app.authorization_world import GATES, World
from tests.journeys.actors import grant
from tests.miniapps.services.conftest import (
    BASE,
    DEPARTMENTS,
    SCOPES,
    bundle_body,
    material,
    ready,
    start,
    step_id,
    submitted,
)

PAGE = {"limit": "5"}
NO_DEVICE = {gate: 403 for gate in GATES}
WHY_GATES = "the app declares no venue kinds: every gate is refused (403) by the platform"


def built(fn: Any) -> Builder:
    builder: Builder = fn
    return builder


async def _bundle(world: World) -> str:
    """The world's bundle, and its citizen made applicant and staff of its departments."""
    if "services_bundle" not in world.ids:
        code = "authz_newborn"
        admin = await world.api.admin()
        saved = await world.api.client.put(
            f"{BASE}/admin/bundles/{code}", json=bundle_body(), headers=admin.headers
        )
        assert saved.status_code == 200, saved.text
        staffed = await world.api.client.put(
            f"{BASE}/admin/staff/{world.citizen.id}",
            json={"departments": list(DEPARTMENTS)},
            headers=admin.headers,
        )
        assert staffed.status_code == 200, staffed.text
        await grant(world.api, world.citizen, "services", *SCOPES)
        world.ids["services_bundle"] = code
    return world.ids["services_bundle"]


@built
async def a_bundle(world: World) -> Call:
    return Call({"code": await _bundle(world)})


@built
async def a_citizen_to_staff(world: World) -> Call:
    await _bundle(world)
    fresh = await world.api.citizen()
    return Call({"citizen_id": fresh.id}, json={"departments": ["taxation"]})


@built
async def a_staff_member(world: World) -> Call:
    call = await a_citizen_to_staff(world)
    admin = await world.api.admin()
    response = await world.api.client.put(
        f"{BASE}/admin/staff/{call.path['citizen_id']}", json=call.json, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return Call(call.path)


@built
async def a_start(world: World) -> Call:
    return Call(json={"bundle": await _bundle(world)})


@built
async def a_draft(world: World) -> Call:
    draft = await start(world.api, world.citizen, await _bundle(world))
    return Call({"application_id": draft["id"]})


@built
async def a_draft_to_fill(world: World) -> Call:
    call = await a_draft(world)
    return Call(call.path, json={"fields": {"baby_name": "王小宝"}})


@built
async def a_draft_to_attach(world: World) -> Call:
    call = await a_draft(world)
    return Call(call.path, json=material("birth_certificate", "birth_record"))


@built
async def a_ready_application(world: World) -> Call:
    application = await ready(world.api, world.citizen, await _bundle(world))
    return Call({"application_id": application["id"]})


async def _submitted(world: World) -> dict[str, Any]:
    return await submitted(world.api, world.citizen, await _bundle(world))


@built
async def a_step_needing_more(world: World) -> Call:
    application = await _submitted(world)
    step = step_id(application, "birth_certificate")
    asked = await world.api.client.post(
        f"{BASE}/desk/steps/{step}/decisions",
        json={"status": "needs_more", "fields": ["birth_hospital"]},
        headers=world.citizen.headers,
    )
    assert asked.status_code == 200, asked.text
    return Call(
        {"application_id": application["id"], "step_code": "birth_certificate"},
        json={"fields": {"birth_hospital": "杭州市妇产科医院"}},
    )


@built
async def a_submitted_step(world: World) -> Call:
    application = await _submitted(world)
    return Call({"step_id": step_id(application, "birth_certificate")})


@built
async def a_step_to_decide(world: World) -> Call:
    call = await a_submitted_step(world)
    return Call(call.path, json={"status": "accepted"})


@built
async def a_steps_material(world: World) -> Call:
    application = await _submitted(world)
    own = next(m for m in application["materials"] if m["step"] == "birth_certificate")
    return Call({"step_id": step_id(application, "birth_certificate"), "material_id": own["id"]})


@built
async def the_desk(world: World) -> Call:
    await _bundle(world)
    return Call(params=PAGE)


@built
async def my_applications(world: World) -> Call:
    await _bundle(world)
    return Call(params=PAGE)


A = f"{BASE}/applications/{{application_id:str}}"
D = f"{BASE}/desk/steps"
ADMIN = "role:platform_admin"
ENTRIES: dict[tuple[str, str], Rule] = {
    ("POST", f"{BASE}/grants"): Rule("citizen", static(json={"scopes": ["profile.basic"]})),
    ("POST", f"{BASE}/subscriptions"): Rule(
        "citizen", static(json={"templates": ["services.status"]})
    ),
    ("GET", f"{BASE}/bundles"): Rule("public", static(params=PAGE)),
    ("GET", f"{BASE}/bundles/{{code:str}}"): Rule("public", a_bundle),
    ("PUT", f"{BASE}/admin/bundles/{{code:str}}"): Rule(
        ADMIN,
        static({"code": "authz_bundle"}, json=bundle_body()),
        NO_DEVICE,
        WHY_GATES,
    ),
    ("PUT", f"{BASE}/admin/staff/{{citizen_id:str}}"): Rule(
        ADMIN, a_citizen_to_staff, NO_DEVICE, WHY_GATES
    ),
    ("DELETE", f"{BASE}/admin/staff/{{citizen_id:str}}"): Rule(
        ADMIN, a_staff_member, NO_DEVICE, WHY_GATES
    ),
    ("POST", f"{BASE}/applications"): Rule("app_granted", a_start),
    ("GET", f"{BASE}/applications"): Rule("app_citizen", my_applications),
    ("GET", A): Rule("app_owner", a_draft),
    ("PATCH", f"{A}/fields"): Rule("app_owner", a_draft_to_fill),
    ("POST", f"{A}/materials"): Rule("app_owner", a_draft_to_attach),
    ("POST", f"{A}/submit"): Rule("app_owner", a_ready_application),
    ("POST", f"{A}/steps/{{step_code:str}}/resubmit"): Rule("app_owner", a_step_needing_more),
    ("GET", D): Rule("app_granted", the_desk, why="only department staff: the world's citizen"),
    ("GET", f"{D}/{{step_id:str}}"): Rule("app_granted", a_submitted_step),
    ("GET", f"{D}/{{step_id:str}}/materials/{{material_id:str}}"): Rule(
        "app_granted", a_steps_material
    ),
    ("POST", f"{D}/{{step_id:str}}/decisions"): Rule("app_granted", a_step_to_decide),
}

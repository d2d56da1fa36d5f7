"""The authorization matrix's entries for the reports mini-app (掌上基层).

Staff routes are the region's grid workers' and platform admins'; the world has no grid
worker, so its `platform_admin` (city-wide staff) is the one allowed there and every other
citizen is refused (403, not staff). A gate is refused by the app (403: no venue kind is
the app's). Events are reported by `citizen`: another citizen is told they do not exist.
"""

from __future__ import annotations

from typing import Any

from tests.app.authorization_rules import Builder, Call, Rule, static
from tests.app.authorization_world import GATES, World, body_of
from tests.miniapps.reports.conftest import b64, event_body, jpeg, new_place

RP = "/api/v1/miniapps/reports"
GATE_403 = {principal: 403 for principal in GATES}
WHY_GATES = "a gate's token is refused by the app (no venue kind is its)"
WHY_ADMIN = "a platform admin is city-wide staff: they see every event and its photos"
_cache: dict[tuple[int, str], dict[str, Any]] = {}


async def _report(world: World, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = await world.api.client.post(
        f"{RP}/events", json=event_body(new_place(), **extra), headers=headers
    )
    assert response.status_code == 201, response.text
    return body_of(response)


async def _staff_act(world: World, event_id: str, action: str, json: Any = None) -> None:
    response = await world.api.client.post(
        f"{RP}/events/{event_id}/{action}", json=json, headers=world.platform_admin.headers
    )
    assert response.status_code == 200, response.text


async def _citizens(world: World, what: str) -> dict[str, Any]:
    """One event of `citizen`'s per world: with a photo, or resolved (for its rating)."""
    key = (id(world), what)
    if key not in _cache:
        if what == "photo":
            _cache[key] = await _report(world, world.citizen.headers, photos=[b64(jpeg())])
        else:
            event = await _report(world, world.citizen.headers)
            await _staff_act(world, event["id"], "take")
            await _staff_act(world, event["id"], "resolve", {"note": "修好了"})
            _cache[key] = event
    return _cache[key]


async def _fresh(world: World, taken: bool = False) -> str:
    """A new event for a staff action that consumes it (reported by a new citizen)."""
    reporter = await world.api.login()
    event = await _report(world, reporter.headers)
    if taken:
        await _staff_act(world, event["id"], "take")
    return str(event["id"])


async def an_event(world: World) -> Call:
    return Call({"event_id": (await _citizens(world, "photo"))["id"]})


async def a_photo(world: World) -> Call:
    event = await _citizens(world, "photo")
    return Call({"event_id": event["id"], "photo_id": event["photos"][0]["id"]})


async def a_resolved_event(world: World) -> Call:
    return Call({"event_id": (await _citizens(world, "resolved"))["id"]}, {"rating": 5})


async def a_new_report(world: World) -> Call:
    return Call(json=event_body(new_place()))


async def an_open_event(world: World) -> Call:
    return Call({"event_id": await _fresh(world)})


async def a_transfer(world: World) -> Call:
    return Call(
        {"event_id": await _fresh(world)},
        {"region_code": new_place().region_code, "note": "属邻区"},
    )


async def a_taken_event(world: World) -> Call:
    return Call({"event_id": await _fresh(world, taken=True)}, {"note": "已处理"})


async def a_worker(world: World) -> Call:
    return Call({"citizen_id": world.other_citizen.id}, {"regions": []})


def staff(build: Builder | None = None) -> Rule:
    return Rule("role:platform_admin", build, GATE_403, WHY_GATES)


ENTRIES: dict[tuple[str, str], Rule] = {
    ("POST", f"{RP}/grants"): Rule("citizen", static(json={"scopes": ["notify.send"]})),
    ("POST", f"{RP}/subscriptions"): Rule(
        "citizen", static(json={"templates": ["reports.update"]})
    ),
    ("GET", f"{RP}/categories"): Rule("public"),
    ("POST", f"{RP}/events"): Rule("app_citizen", a_new_report),
    ("GET", f"{RP}/events"): Rule("app_citizen", static(params={"limit": "5"})),
    ("GET", f"{RP}/events/{{event_id:str}}"): Rule(
        "app_owner", an_event, {"platform_admin": 200}, WHY_ADMIN
    ),
    ("GET", f"{RP}/events/{{event_id:str}}/photos/{{photo_id:str}}"): Rule(
        "app_owner", a_photo, {"platform_admin": 200}, WHY_ADMIN
    ),
    ("POST", f"{RP}/events/{{event_id:str}}/rating"): Rule("app_owner", a_resolved_event),
    ("POST", f"{RP}/events/{{event_id:str}}/take"): staff(an_open_event),
    ("POST", f"{RP}/events/{{event_id:str}}/transfer"): staff(a_transfer),
    ("POST", f"{RP}/events/{{event_id:str}}/resolve"): staff(a_taken_event),
    ("GET", f"{RP}/staff/assignments"): Rule("app_citizen"),
    ("GET", f"{RP}/staff/queue"): staff(static(params={"limit": "5"})),
    ("GET", f"{RP}/staff/report"): staff(static(params={"region": "330100"})),
    ("GET", f"{RP}/admin/workers"): staff(static(params={"limit": "5"})),
    ("PUT", f"{RP}/admin/workers/{{citizen_id:str}}"): staff(a_worker),
}

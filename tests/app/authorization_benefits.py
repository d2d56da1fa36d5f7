"""Authorization entries of the benefits mini-app (民生直达): staff routes need the
`platform_admin` role; a citizen's routes any signed-in citizen. Benefits has no devices, so
every gate is refused by the platform (403) rather than being an unknown audience (401)."""

from __future__ import annotations

from miniapps.sdk import local_today
from tests.app.authorization_requests import MA, PAGE
from tests.app.authorization_rules import Builder, Call, Rule, static
from tests.app.authorization_world import World
from tests.helpers import new_id_number

B = f"{MA}/benefits"
NO_DEVICES = {"gate": 403, "other_venue_gate": 403, "other_kind_gate": 403}
WHY = "a gate is no device of benefits: the platform refuses it (403)"


def programme_body() -> dict[str, object]:
    return {
        "name": "高龄津贴",
        "amount": 10_000,
        "budget": 100_000,
        "payment_day": local_today().isoformat(),
        "rules": [{"kind": "list"}],
    }


async def a_programme(world: World) -> Call:
    response = await world.api.client.post(
        f"{B}/programmes", json=programme_body(), headers=world.platform_admin.headers
    )
    assert response.status_code == 201, response.text
    return Call({"programme_id": response.json()["id"]})


async def a_programme_list(world: World) -> Call:
    call = await a_programme(world)
    return Call(call.path, json={"id_numbers": [new_id_number()]})


async def a_programme_page(world: World) -> Call:
    call = await a_programme(world)
    return Call(call.path, params=PAGE)


def staff(build: Builder) -> Rule:
    return Rule("role:platform_admin", build, NO_DEVICES, WHY)


ENTRIES: dict[tuple[str, str], Rule] = {
    ("POST", f"{B}/programmes"): staff(static(json=programme_body())),
    ("GET", f"{B}/programmes"): staff(static(params=PAGE)),
    ("GET", f"{B}/programmes/{{programme_id:str}}"): staff(a_programme),
    ("POST", f"{B}/programmes/{{programme_id:str}}/list"): staff(a_programme_list),
    ("POST", f"{B}/programmes/{{programme_id:str}}/runs"): staff(a_programme),
    ("POST", f"{B}/programmes/{{programme_id:str}}/close"): staff(a_programme),
    ("GET", f"{B}/programmes/{{programme_id:str}}/report"): staff(a_programme),
    ("GET", f"{B}/programmes/{{programme_id:str}}/payments"): staff(a_programme_page),
    ("GET", f"{B}/me/payments"): Rule("app_citizen", static(params=PAGE)),
    ("GET", f"{B}/me/preferences"): Rule("app_citizen"),
    ("PUT", f"{B}/me/preferences"): Rule(
        "app_citizen", static(json={"repay_overdue_first": False})
    ),
    ("POST", f"{MA}/benefits/grants"): Rule(
        "citizen",
        static(json={"scopes": []}),
        {
            p: 422
            for p in ("citizen", "other_citizen", "developer", "health_admin", "platform_admin")
        },
        "benefits asks citizens for no scope: there is nothing to grant",
    ),
    ("POST", f"{MA}/benefits/subscriptions"): Rule(
        "citizen",
        static(json={"templates": ["none.declared"]}),
        {
            p: 422
            for p in ("citizen", "other_citizen", "developer", "health_admin", "platform_admin")
        },
        "benefits declares no templates: nothing to subscribe to",
    ),
}

"""The authorization matrix: every operation of the built app, called by every kind of
principal, answers the status its entry in `authorization_table.py` says.

The operations come from the app's own route table, so a new route without an entry fails
`test_every_operation_has_an_entry`. For each operation the principals that must be refused
call first, with a request valid for the one allowed, so that a refusal is about who calls and
nothing else; then the allowed ones call, and get a 2xx (or the status the entry names).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.app.authorization_rules import OK, Call, Expect, Rule, expected
from tests.app.authorization_table import TABLE, a_hold
from tests.app.authorization_world import PRINCIPALS, World, build_world
from tests.app.portal import AppTransport, in_app
from tests.helpers import Api, problem
from tests.miniapps.clock import stopped_at_noon
from tests.miniapps.conftest import client_headers, keyed, register

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def operations(api: Api) -> set[tuple[str, str]]:
    found = set()
    for route in api.client.app.routes:
        for method in getattr(route, "route_handler_map", {}):
            if method not in IGNORED_METHODS:
                found.add((method, route.path))
    return found


@pytest.fixture(scope="module")
async def world(api: Api) -> AsyncIterator[World]:
    # Park slots and hotel nights are local days' business: the SDK clock stops at local noon.
    with stopped_at_noon():
        yield await build_world(api)


def matches(status: int, wanted: Expect) -> bool:
    return 200 <= status < 300 if wanted == OK else status == wanted


def refused_first(rule: Rule) -> list[str]:
    return sorted(PRINCIPALS, key=lambda principal: expected(rule, principal) == OK)


async def send(world: World, method: str, path: str, call: Call, headers: dict[str, str]) -> int:
    url = path.replace(":str}", "}").format(**call.path)
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    if path.endswith("/stream"):
        return await in_app(world.api.client, _stream_status, world, url, headers)
    response: httpx.Response = await world.api.client.request(
        method, url, json=call.json, params=call.params, headers=headers
    )
    assert response.status_code < 500, response.text
    return response.status_code


async def _stream_status(world: World, url: str, headers: dict[str, str]) -> int:
    """An event stream never ends: read it on the app's loop through a transport that cuts it."""
    transport = AppTransport(world.api.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        return (await http.get(url, headers=headers)).status_code


class TestAuthorizationMatrix:
    def test_every_operation_has_an_entry(self, api: Api) -> None:
        served = operations(api)
        assert served - set(TABLE) == set(), "operations without an entry"
        assert set(TABLE) - served == set(), "entries for operations that are not served"

    @pytest.mark.parametrize("operation", sorted(TABLE), ids=" ".join)
    async def test_who_may_call(self, world: World, operation: tuple[str, str]) -> None:
        method, path = operation
        rule = TABLE[operation]
        answers: dict[str, tuple[int, Expect]] = {}
        for principal in refused_first(rule):
            call = await rule.build(world) if rule.build else Call()
            headers = world.headers(principal, rule.kind, rule.scope)
            status = await send(world, method, path, call, headers)
            answers[principal] = (status, expected(rule, principal))
        wrong = {p: got for p, got in answers.items() if not matches(*got)}
        assert wrong == {}, f"{rule.access}: (got, expected) {wrong}"


class TestAnotherAppsHold:
    """Apps never reach another app's holds: the id of one is no hold to the other (404)."""

    @pytest.mark.parametrize("action", ["capture", "void"])
    async def test_is_not_found(self, world: World, action: str) -> None:
        hold = await a_hold(world)
        other = await client_headers(world.api, await register(world.api))
        url = f"/api/v1/apps/wallet/holds/{hold.path['hold_id']}/{action}"
        body = {"amount": 100} if action == "capture" else None
        refused = await world.api.client.post(url, json=body, headers=keyed(other))
        problem(refused, 404, "not_found")
        own = await world.api.client.post(url, json=body, headers=keyed(world.merchant))
        assert own.status_code == 200, own.text

"""Stateful fuzz: schemathesis follows the OpenAPI links of `app/openapi_links.py` (venue →
gate → revoke, hold → capture/void, app → submit → approve, stay → check-out, visit →
settle, ...) and explores sequences of calls, each call's input generated from the schema
with the ids of earlier answers. No answer may be a 5xx or break the document.

Producers get a realistic body (a fresh health code, a room type that exists, an amount
within the credit line) so that their answers carry ids to follow; what comes after is
generated. The budget is small in the suite (`CITYBRAIN_STATEFUL_EXAMPLES` scenarios, 25 by
default); CI runs it once more with a larger one.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from litestar.serialization import encode_json
from schemathesis.core.transport import Response

from app.openapi_links import LINKS, linked_operations
from tests.app.test_schema_fuzz import RESPONSE_CHECKS, Fuzzer
from tests.helpers import Api, Citizen
from tests.journeys.actors import device, health_code, set_credit_limit
from tests.miniapps.conftest import connect, register
from tests.miniapps.hotel.conftest import make_hotel
from tests.miniapps.medical.conftest import make_hospital
from tests.miniapps.park.conftest import make_park
from tests.miniapps.rental.people import HOME, soon

SCENARIOS = int(os.environ.get("CITYBRAIN_STATEFUL_EXAMPLES", "25"))
STEPS = int(os.environ.get("CITYBRAIN_STATEFUL_STEPS", "6"))

# Who calls a path: the first pattern that matches (else the verified citizen).
CALLERS: list[tuple[str, str]] = [
    (r"^/api/v1/admin/", "admin"),
    (r"^/api/v1/gate/", "gate"),
    (r"^/api/v1/apps/", "app"),
    (
        r"^/api/v1/miniapps/hotel/(hotel(/|$)|check-ins|stays/[^/]+/(extras|check-out))",
        "hotel_desk",
    ),
    (r"^/api/v1/miniapps/hotel/reservations/[^/]+/no-show", "hotel_desk"),
    (
        r"^/api/v1/miniapps/medical/(hospital(/|$)|card-scans|visits/[^/]+/(charges|settle))",
        "desk",
    ),
    (r"^/api/v1/miniapps/park/(park(/|$)|entries)", "turnstile"),
]


def caller_of(path: str) -> str:
    return next((who for pattern, who in CALLERS if re.match(pattern, path)), "verified")


@dataclass
class World:
    """The callers and the things their producers' bodies refer to."""

    callers: dict[str, dict[str, str]]
    citizen: Citizen
    room_type_id: str
    hospital_id: str
    department_id: str
    slot_id: str


async def make_world(api: Api) -> World:
    citizen = await api.citizen(name="赵六")
    await health_code(api, citizen, "green")
    await set_credit_limit(api, citizen, 100_000_000)
    for slug, scopes in {
        "hotel": ["wallet.charge"],
        "medical": ["wallet.charge"],
        "park": ["wallet.charge"],
        "rental": ["profile.basic", "identity.realname", "wallet.charge"],
    }.items():
        granted = await api.client.post(
            f"/api/v1/miniapps/{slug}/grants", json={"scopes": scopes}, headers=citizen.headers
        )
        assert granted.status_code == 201, granted.text
    external = await register(api)
    app_headers = await connect(api, external, citizen)
    hotel = await make_hotel(api)
    hospital = await make_hospital(api)
    park = await make_park(api)
    admin = await api.admin()
    gate = await device(api, "metro")
    callers = {
        "admin": admin.headers,
        "gate": gate.headers,
        "app": app_headers,
        "hotel_desk": hotel.desk.headers,
        "desk": hospital.gate.headers,
        "turnstile": park.gate.headers,
        "verified": citizen.headers,
    }
    world = World(
        callers,
        citizen,
        hotel.room_type_id,
        hospital.id,
        hospital.department_id,
        park.slot_now,
    )
    return world


def seeded_body(path: str, method: str, world: World, code: str) -> dict[str, Any] | None:
    """A body that succeeds for a producer, so that its links have ids to pass on."""
    if method != "POST":
        return None
    unique = uuid.uuid4().hex[:10]
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/admin/venues": {
            "name": f"地铁{unique}",
            "kind": "metro",
            "region_code": "330106",
            "address": "杭州市",
        },
        "/api/v1/apps/wallet/holds": {"amount": 5_000, "memo": "押金", "expires_in": 3_600},
        "/api/v1/developer/apps": {
            "slug": f"fz-{unique}",
            "name": "模糊测试",
            "scopes": ["profile.basic", "wallet.charge"],
            "webhook_url": None,
            "templates": [],
        },
        "/api/v1/miniapps/hotel/check-ins": {
            "code": code,
            "room_type_id": world.room_type_id,
            "nights": 1,
        },
        "/api/v1/miniapps/medical/visits": {
            "hospital_id": world.hospital_id,
            "department_id": world.department_id,
        },
        "/api/v1/miniapps/park/reservations": {"slot_id": world.slot_id},
        "/api/v1/miniapps/rental/listings": {**HOME, "region_code": "330106"},
    }
    if path.endswith("/gates") and path.startswith("/api/v1/admin/venues/"):
        return {"name": f"闸机{unique}"}
    if re.fullmatch(r"/api/v1/miniapps/rental/listings/[^/]+/viewings", path):
        return {"at": soon()}
    return bodies.get(path)


@pytest.fixture
async def world(api: Api) -> World:
    return await make_world(api)


class TestStatefulFuzz:
    def test_the_links_name_real_operations(self, api: Api) -> None:
        document = api.client.app.openapi_schema.to_schema()
        operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
        assert linked_operations() <= operations, linked_operations() - operations
        for (method, path), (status, consumers) in LINKS.items():
            links = document["paths"][path][method.lower()]["responses"][str(status)]["links"]
            assert len(links) == len(consumers), (method, path)

    def test_sequences_along_the_links_answer_within_the_schema(
        self, api: Api, world: World
    ) -> None:
        fuzzer = Fuzzer(api, world.callers, {})
        try:
            called = explore(api, fuzzer, world)
        finally:
            fuzzer.close()
        # Sequences really went down links: a consumer that takes its id from an earlier
        # answer answered 2xx.
        consumers = {f"{to.method} {to.path} 2xx" for _, tos in LINKS.values() for to in tos}
        assert consumers & set(called), sorted(called)


def explore(api: Api, fuzzer: Fuzzer, world: World) -> dict[str, int]:
    """Run the state machine; count answers by operation and status class."""
    # As served at /schema/openapi.json (JSON, so examples are strings, not datetimes).
    document: dict[str, Any] = json.loads(encode_json(api.client.app.openapi_schema.to_schema()))
    schema = schemathesis.openapi.from_dict(document)
    called: dict[str, int] = {}

    def fresh_code() -> str:
        response = fuzzer.portal.call(
            lambda: fuzzer.http.get("/api/v1/healthcode", headers=world.callers["verified"])
        )
        assert response.status_code == 200, response.text
        code: str = response.json()["code"]
        return code

    class Along(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            method = case.method.upper()
            code = fresh_code() if case.path.endswith("/check-ins") else ""
            body = seeded_body(case.formatted_path, method, world, code)
            if body is not None:
                case.body = body
            if method == "POST":
                case.headers = {**(case.headers or {}), "Idempotency-Key": uuid.uuid4().hex}

        def call(self, case: Any, **kwargs: Any) -> Response:
            response = fuzzer.send(case, caller_of(case.formatted_path))
            key = f"{case.method.upper()} {case.path} {response.status_code // 100}xx"
            called[key] = called.get(key, 0) + 1
            return Response.from_any(response)

        def validate_response(self, response: Response, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=RESPONSE_CHECKS)

    Along.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
    )
    return called

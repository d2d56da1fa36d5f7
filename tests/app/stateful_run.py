"""The stateful fuzz run: schemathesis follows the OpenAPI links of `app/openapi_links.py`
(venue → gate → revoke, hold → capture/void, app → submit → approve, stay → check-out,
visit → settle, ...) and explores sequences of calls, each call's input generated from the
schema with the ids of earlier answers. No answer may be a 5xx or break the document.

Not collected with the suite (the name does not start with `test_`): it runs in a process of
its own, on a database of its own, because what a state machine can do next depends on the
answers it got, and so on the database (see docs/decisions.md "Hardening").
`tests/app/test_stateful_fuzz.py` launches it with a small budget; `.ci/run` once with a
larger one. By hand:

    CITYBRAIN_STATEFUL_EXAMPLES=200 .venv/bin/python -m pytest tests/app/stateful_run.py

Budget: `CITYBRAIN_STATEFUL_EXAMPLES` scenarios of up to `CITYBRAIN_STATEFUL_STEPS` calls,
within `CITYBRAIN_STATEFUL_SECONDS`. `CITYBRAIN_STATEFUL_SUMMARY` names a JSON file that
receives what was called and what failed.

Hypothesis remembers the shape of every run (its data tree); when the same choices meet a
database that answers differently (a room type sold out, a credit line spent), it stops with
`Flaky`. Schemathesis' own runner treats that as the end of a suite, not as a failure, and so
does this one: every answer is checked, and every failed check recorded, when it happens, and
the machine starts again on the remaining budget. Producers get a realistic body (a fresh
health code, a room type that exists, an amount within the credit line) so that their answers
carry ids to follow; what comes after is generated.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from litestar.serialization import encode_json
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from miniapps.services.demo import NEWBORN
from tests.app.test_schema_fuzz import RESPONSE_CHECKS, Fuzzer
from tests.clocks import city_today
from tests.helpers import Api, Citizen
from tests.journeys.actors import device, health_code, set_credit_limit
from tests.miniapps.conftest import connect, register
from tests.miniapps.hotel.conftest import make_hotel
from tests.miniapps.medical.conftest import make_hospital
from tests.miniapps.park.conftest import make_park
from tests.miniapps.rental.people import HOME, soon

SCENARIOS = int(os.environ.get("CITYBRAIN_STATEFUL_EXAMPLES", "120"))
STEPS = int(os.environ.get("CITYBRAIN_STATEFUL_STEPS", "8"))
SECONDS = float(os.environ.get("CITYBRAIN_STATEFUL_SECONDS", "60"))
SUMMARY = os.environ.get("CITYBRAIN_STATEFUL_SUMMARY")
GUESTS = int(os.environ.get("CITYBRAIN_STATEFUL_GUESTS", "8"))
SERVICES_BUNDLE = "fuzz_newborn"  # the services app's bundle the guests apply for
# Scenarios per state machine run: the clock is looked at between runs. The first run is
# derandomized (the suite's budget fits in it), later ones draw afresh.
CHUNK = 150
# Runs (chunks, and restarts after `Flaky`) before the run gives up.
MAX_RUNS = 200

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
    (r"^/api/v1/miniapps/benefits/programmes", "admin"),  # the programmes' staff
    # Homes are let by someone else than the guest who views, signs and moves in.
    (r"^/api/v1/miniapps/rental/(listings/?$|leases/?$|leases/[^/]+/move-out)", "landlord"),
]


def caller_of(path: str) -> str:
    return next((who for pattern, who in CALLERS if re.match(pattern, path)), "verified")


@dataclass
class Guest:
    """A verified citizen with a green code, credit, grants and an external app's token."""

    citizen: Citizen
    app_headers: dict[str, str]


@dataclass
class World:
    """The callers and the things their producers' bodies refer to. Each scenario acts as the
    next guest of a pool: a citizen holds one open stay, visit or park place at a time, so a
    single one would be refused after the first scenario."""

    callers: dict[str, dict[str, str]]
    guests: list[Guest]
    hotel_id: str
    room_type_id: str
    hospital_id: str
    department_id: str
    slot_id: str
    turn: int = 0
    # Viewings booked in this scenario: the landlord's lease offer names the last one.
    viewings: list[str] = field(default_factory=list)

    @property
    def guest(self) -> Guest:
        return self.guests[self.turn % len(self.guests)]

    def next_guest(self) -> None:
        self.turn += 1
        self.viewings.clear()
        self.callers["verified"] = self.guest.citizen.headers
        self.callers["app"] = self.guest.app_headers


async def make_guest(api: Api, external: Any) -> Guest:
    citizen = await api.citizen(name="赵六")
    await health_code(api, citizen, "green")
    await set_credit_limit(api, citizen, 100_000_000)
    for slug, scopes in {
        "hotel": ["wallet.charge"],
        "medical": ["wallet.charge"],
        "park": ["wallet.charge"],
        "rental": ["profile.basic", "identity.realname", "wallet.charge"],
        "services": ["profile.basic", "identity.realname"],
    }.items():
        granted = await api.client.post(
            f"/api/v1/miniapps/{slug}/grants", json={"scopes": scopes}, headers=citizen.headers
        )
        assert granted.status_code == 201, granted.text
    return Guest(citizen, await connect(api, external, citizen))


async def make_world(api: Api) -> World:
    external = await register(api)
    guests = [await make_guest(api, external) for _ in range(GUESTS)]
    landlord = await make_guest(api, external)
    hotel = await make_hotel(api, rooms=GUESTS + 2)
    hospital = await make_hospital(api)
    park = await make_park(api, capacity=GUESTS + 2)
    admin = await api.admin()
    bundle = await api.client.put(
        f"/api/v1/miniapps/services/admin/bundles/{SERVICES_BUNDLE}",
        json=msgspec.to_builtins(NEWBORN),
        headers=admin.headers,
    )
    assert bundle.status_code == 200, bundle.text
    gate = await device(api, "metro")
    callers = {
        "admin": admin.headers,
        "gate": gate.headers,
        "hotel_desk": hotel.desk.headers,
        "desk": hospital.gate.headers,
        "turnstile": park.gate.headers,
        "landlord": landlord.citizen.headers,
    }
    world = World(
        callers,
        guests,
        hotel.id,
        hotel.room_type_id,
        hospital.id,
        hospital.department_id,
        park.slot_now,
    )
    world.next_guest()
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
        "/api/v1/miniapps/hotel/reservations": {
            "hotel_id": world.hotel_id,
            "room_type_id": world.room_type_id,
            "arrival": (city_today() + timedelta(days=2)).isoformat(),
            "nights": 1,
        },
        "/api/v1/miniapps/rental/listings": {**HOME, "region_code": "330106"},
        "/api/v1/miniapps/services/applications": {"bundle": SERVICES_BUNDLE},
        "/api/v1/miniapps/rental/leases": {
            "viewing_id": world.viewings[-1] if world.viewings else str(uuid.uuid4()),
            "start_date": (city_today() + timedelta(days=1)).isoformat(),
            "months": 1,
        },
    }
    if path.endswith("/gates") and path.startswith("/api/v1/admin/venues/"):
        return {"name": f"闸机{unique}"}
    if re.fullmatch(r"/api/v1/miniapps/rental/listings/[^/]+/viewings", path):
        return {"at": soon()}
    return bodies.get(path)


@dataclass
class Tally:
    """What a run did: answers by `METHOD path Nxx`, failed checks, scenarios and restarts."""

    calls: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)  # 4xx by problem `code`
    failures: list[str] = field(default_factory=list)
    scenarios: int = 0
    steps: int = 0
    runs: int = 0
    restarts_after_flaky: int = 0
    seconds: float = 0.0


def load_schema(api: Api) -> Any:
    """The document as served at /schema/openapi.json (JSON, so examples are strings), with
    only the links the app declares: schemathesis' inferred links are switched off."""
    document: dict[str, Any] = json.loads(encode_json(api.client.app.openapi_schema.to_schema()))
    schema = schemathesis.openapi.from_dict(document)
    schema.config.phases.stateful.inference.algorithms = []
    # Positive data only: broken input is the schema fuzz test's business, and a negated
    # token would make every step after it a 401.
    schema.config.generation.modes = [GenerationMode.POSITIVE]
    schema.config.phases.stateful.generation.modes = [GenerationMode.POSITIVE]
    return schema


def explore(api: Api, fuzzer: Fuzzer, world: World, tally: Tally) -> None:
    """Run the state machine until the budget is spent, starting again after `Flaky`."""
    schema = load_schema(api)
    started = time.monotonic()

    def fresh_code() -> str:
        response = fuzzer.portal.call(
            lambda: fuzzer.http.get("/api/v1/healthcode", headers=world.callers["verified"])
        )
        assert response.status_code == 200, response.text
        code: str = response.json()["code"]
        return code

    def out_of_time() -> bool:
        return time.monotonic() - started > SECONDS

    class Along(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            tally.scenarios += 1
            world.next_guest()

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
            tally.calls[key] = tally.calls.get(key, 0) + 1
            tally.steps += 1
            if response.status_code == 201 and case.path.endswith("/viewings"):
                world.viewings.append(response.json()["id"])
            if 400 <= response.status_code < 500:
                refusal = f"{case.method.upper()} {case.path} {_problem_code(response)}"
                tally.refusals[refusal] = tally.refusals.get(refusal, 0) + 1
            return Response.from_any(response)

        def validate_response(self, response: Response, case: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=RESPONSE_CHECKS)
            except BaseException as failed:
                # Recorded now: a replay that does not fail again must not hide it.
                body = response.text[:300] if response.text else ""
                tally.failures.append(
                    f"{case.method.upper()} {case.formatted_path} → {response.status_code} "
                    f"{body!r}: {failed}"
                )
                raise

    try:
        _run_until_spent(Along, tally, out_of_time)
    finally:
        tally.seconds = round(time.monotonic() - started, 1)


def _run_until_spent(machine: Any, tally: Tally, out_of_time: Any) -> None:
    while tally.scenarios < SCENARIOS and tally.runs < MAX_RUNS and not out_of_time():
        tally.runs += 1
        try:
            machine.run(
                settings=settings(
                    max_examples=min(CHUNK, SCENARIOS - tally.scenarios),
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    derandomize=tally.runs == 1,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    print_blob=False,
                )
            )
        except (Flaky, AssertionError) as stopped:
            if tally.failures or not _data_tree_noticed(stopped):
                raise
            tally.restarts_after_flaky += 1


def _problem_code(response: Any) -> str:
    try:
        return str(response.json().get("code"))
    except (ValueError, AttributeError):
        return "?"


def _data_tree_noticed(exc: BaseException) -> bool:
    """`Flaky`, or the assertion Hypothesis' data tree makes instead of it on some replays."""
    if isinstance(exc, Flaky):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals["__name__"].startswith(
        "hypothesis.internal.conjecture"
    )


@pytest.fixture
async def world(api: Api) -> World:
    return await make_world(api)


def test_sequences_along_the_links_answer_within_the_schema(api: Api, world: World) -> None:
    fuzzer = Fuzzer(api, world.callers, {})
    tally = Tally()
    try:
        explore(api, fuzzer, world, tally)
    except BaseException:
        # After a failed check Hypothesis may end with `Flaky` of its own (the replay met
        # another database): the failures recorded are the report.
        if not tally.failures:
            raise
    finally:
        fuzzer.close()
        if SUMMARY:
            with open(SUMMARY, "w", encoding="utf-8") as out:
                json.dump(asdict(tally), out, ensure_ascii=False, indent=1)
    assert not tally.failures, "\n\n".join(tally.failures)

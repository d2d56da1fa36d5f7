"""Stateful fuzz: OpenAPI links (`app/openapi_links.py`) name real operations and sit on the
producers' answers in the served document, and schemathesis' state machine follows them
(venue → gate → revoke, hold → capture/void, app → submit → approve, stay → check-out, ...)
with no 5xx and no answer outside the document.

The state machine runs in a process of its own (`tests/app/stateful_run.py`), on a database
of its own: Hypothesis flags a run whose choices meet answers that changed because of state
other tests left (see docs/decisions.md "Hardening"). The budget here is small
(`CITYBRAIN_STATEFUL_EXAMPLES` scenarios of up to 8 calls, 120 by default); `.ci/run` runs it
once with a larger one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from litestar.serialization import encode_json

from app.openapi_links import LINKS, linked_operations, openapi_path
from app.security import b64url, ec_key_to_pem, get_keyring
from tests.helpers import Api

ROOT = Path(__file__).resolve().parents[2]
RUN = "tests/app/stateful_run.py"
EXAMPLES = os.environ.get("CITYBRAIN_STATEFUL_EXAMPLES", "120")
# The run stops itself after this many seconds of exploring; the process gets more, for start-up.
SECONDS = os.environ.get("CITYBRAIN_STATEFUL_SECONDS", "40")


def keyring_env() -> dict[str, str]:
    keyring = get_keyring()
    return {
        "CITYBRAIN_ID_HMAC_KEY": b64url(keyring.hmac_key),
        "CITYBRAIN_ID_ENC_KEY": b64url(keyring.enc_key),
        "CITYBRAIN_TOKEN_SIGNING_KEY": ec_key_to_pem(keyring.signing_key),
    }


def run_state_machine(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    """`stateful_run.py` in a fresh process; its exit and its JSON summary."""
    summary = tmp_path / "stateful.json"
    child_env = {
        **os.environ,
        # The child's tests/conftest.py makes its data dir (SQLite file, keys) with mkdtemp:
        # under tmp_path, so that it is fresh and cleaned up with it.
        "TMPDIR": str(tmp_path),
        # On PostgreSQL the child shares the suite's database: it must open what this process
        # sealed (the health-code keys), so it gets this process's keys, not fresh ones.
        **keyring_env(),
        "CITYBRAIN_ENV": "test",
        "CITYBRAIN_STATEFUL_EXAMPLES": EXAMPLES,
        "CITYBRAIN_STATEFUL_SECONDS": SECONDS,
        "CITYBRAIN_STATEFUL_SUMMARY": str(summary),
        **env,
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and test module)
        [sys.executable, "-m", "pytest", RUN, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=float(SECONDS) + 60,
        check=False,
    )
    tally = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else None
    return done, tally


class TestOpenAPILinks:
    def test_the_links_name_real_operations(self, api: Api) -> None:
        document = json.loads(encode_json(api.client.app.openapi_schema.to_schema()))
        operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
        assert linked_operations() <= operations, linked_operations() - operations
        for (method, path), (status, consumers) in LINKS.items():
            links = document["paths"][path][method.lower()]["responses"][str(status)]["links"]
            assert len(links) == len(consumers), (method, path)
            for link in links.values():
                assert link["operationRef"].startswith("#/paths/~1api~1v1~1")
                assert all(v.startswith("$response.body#/") for v in link["parameters"].values())

    def test_route_paths_become_openapi_paths(self) -> None:
        assert openapi_path("/a/{venue_id:str}/gates/{n:int}") == "/a/{venue_id}/gates/{n}"


class TestStatefulFuzz:
    def test_each_step_is_sent_by_the_party_the_operation_is_for(self) -> None:
        from tests.app.stateful_run import caller_of

        rental, hotel = "/api/v1/miniapps/rental", "/api/v1/miniapps/hotel"
        assert caller_of(f"{rental}/listings") == "landlord"
        assert caller_of(f"{rental}/listings/h1/viewings") == "verified"
        assert caller_of(f"{rental}/leases") == "landlord"
        assert caller_of(f"{rental}/leases/l1/sign") == "verified"
        assert caller_of(f"{rental}/leases/l1/move-out") == "landlord"
        assert caller_of(f"{hotel}/check-ins") == "hotel_desk"
        assert caller_of(f"{hotel}/stays/s1") == "verified"
        assert caller_of(f"{hotel}/stays/s1/check-out") == "hotel_desk"
        assert caller_of("/api/v1/miniapps/medical/visits/v1/settle") == "desk"
        assert caller_of("/api/v1/apps/wallet/holds/h1/capture") == "app"
        assert caller_of("/api/v1/admin/venues/v1/gates") == "admin"
        assert caller_of("/api/v1/miniapps/benefits/programmes/p1/runs") == "admin"
        assert caller_of("/api/v1/miniapps/benefits/me/payments") == "verified"

    def test_sequences_along_the_links_answer_within_the_schema(self, tmp_path: Path) -> None:
        done, tally = run_state_machine(tmp_path)
        assert tally is not None, done.stdout[-6000:] + done.stderr[-2000:]
        assert tally["failures"] == [], "\n\n".join(tally["failures"])
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        assert tally["scenarios"] >= int(EXAMPLES) or tally["seconds"] >= float(SECONDS)
        # Sequences really went down links: consumers that take their ids from an earlier
        # answer answered 2xx, on more than one of the app's flows.
        consumers = {f"{to.method} {to.path} 2xx" for _, tos in LINKS.values() for to in tos}
        followed = consumers & set(tally["calls"])
        assert len(followed) >= 5, sorted(tally["calls"])

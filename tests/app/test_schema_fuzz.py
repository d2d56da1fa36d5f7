"""Schema fuzz: schemathesis drives every operation of the app's own OpenAPI document, with
data that fits the schema and data that breaks it, as every kind of caller; no answer may be a
5xx, and none may break the document (undocumented status, content type, headers or body).

It reads `/schema/openapi.json` at run time, so it covers every endpoint present, and grows as
domains add theirs. The request budget is shared out between operations so that the run stays
well under two minutes; `CITYBRAIN_FUZZ_EXAMPLES` (total requests) and `CITYBRAIN_FUZZ_SEED`
widen or vary it locally.

Requests go to the app on its own event loop (see tests/app/portal.py) through httpx, and each
response is checked with schemathesis' own checks via `Case.validate_response`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.portal import AppTransport
from tests.helpers import Api

TOTAL_REQUESTS = int(os.environ.get("CITYBRAIN_FUZZ_EXAMPLES", "1500"))
SEED = int(os.environ.get("CITYBRAIN_FUZZ_SEED", "20201111"))
BASE_URL = "http://testserver.local"
REQUEST_TIMEOUT = 20
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Broken input must be refused (4xx), not accepted.
NEGATIVE_CHECKS = [*RESPONSE_CHECKS, negative_data_rejection]


class Fuzzer:
    """Everything one run needs: callers' headers, known ids, and a client on the app's loop."""

    def __init__(self, api: Api, callers: dict[str, dict[str, str]], known: dict[str, str]):
        self.portal = api.client.blocking_portal
        self.app = api.client.app
        self.callers = callers
        self.known = known
        self.http: httpx.AsyncClient = self.portal.call(self._open)

    async def _open(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=AppTransport(self.app), base_url=BASE_URL)

    def close(self) -> None:
        self.portal.call(self.http.aclose)

    def best_caller(self, path: str) -> str:
        if path.startswith("/api/v1/admin/"):
            return "admin"
        if path.startswith("/api/v1/gate/"):
            return "gate"
        return "verified"

    def send(self, case: Any, caller: str) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        headers = dict(kwargs["headers"])
        if not case.operation.schema.is_security_param_negated(case):
            # Who calls is our choice, unless the case is about a missing or broken token.
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            headers.update(self.callers[caller])
        request: dict[str, Any] = {
            "method": kwargs["method"],
            "url": kwargs["url"],
            "headers": headers,
            "params": kwargs.get("params") or None,
        }
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        if isinstance(kwargs.get("data"), bytes | str):
            request["content"] = kwargs["data"]
        elif kwargs.get("data") is not None:
            request["data"] = kwargs["data"]
        if kwargs.get("files"):
            request["files"] = kwargs["files"]
        if kwargs.get("cookies"):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())
        try:
            built = self.http.build_request(**request)
        except (UnicodeEncodeError, ValueError, TypeError, httpx.InvalidURL):
            reject()  # a request no HTTP client can send (e.g. a non-Latin-1 header)
        response: httpx.Response = self.portal.call(self._send, built)
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await asyncio.wait_for(self.http.send(request), REQUEST_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"{request.method} {request.url.path}: no answer in {REQUEST_TIMEOUT} s"
            ) from None

    def fuzz(self, operation: Any, mode: GenerationMode, examples: int) -> None:
        callers = sorted(self.callers)
        best = self.best_caller(operation.path)
        known = {name: value for name, value in self.known.items() if name in operation.path}
        checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else RESPONSE_CHECKS

        @seed(SEED)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(
            case=operation.as_strategy(generation_mode=mode),
            caller=st.one_of(st.just(best), st.sampled_from(callers)),
            use_known=st.booleans(),
        )
        def run(case: Any, caller: str, use_known: bool) -> None:
            if use_known and known and mode is GenerationMode.POSITIVE:
                for name, value in known.items():
                    if name in (case.path_parameters or {}):
                        case.path_parameters[name] = value
            response = self.send(case, caller)
            case.validate_response(response, checks=checks)

        run()


@pytest.fixture(scope="module")
async def fuzzer(api: Api) -> Fuzzer:
    citizen = await api.login()
    verified = await api.citizen()
    admin = await api.admin()
    health_admin = await api.with_role("health_admin")
    gate = await api.gate()
    callers = {
        "anonymous": {},
        "junk": {"Authorization": "Bearer junk"},
        "citizen": citizen.headers,
        "verified": verified.headers,
        "admin": admin.headers,
        "health_admin": health_admin.headers,
        "gate": gate.headers,
    }
    known = {"citizen_id": citizen.id, "venue_id": gate.venue_id, "gate_id": gate.gate_id}
    return Fuzzer(api, callers, known)


def operations_of(document: dict[str, Any]) -> list[str]:
    methods = {"get", "put", "post", "delete", "patch"}
    return sorted(
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    )


def modes_for(operation: Any) -> list[GenerationMode]:
    """Negative data needs something to break: an operation without inputs has none."""
    if len(operation.body) or any(True for _ in operation.iter_parameters()):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def share(total: int, operations: int) -> int:
    """Examples per operation and mode, so that the whole run stays within `total` requests."""
    return max(4, total // max(1, 2 * operations))


class TestSchemaFuzz:
    def test_every_operation_answers_within_its_schema(self, fuzzer: Fuzzer) -> None:
        document: dict[str, Any] = fuzzer.portal.call(self._document, fuzzer)
        schema = schemathesis.openapi.from_dict(document)
        results = list(schema.get_all_operations())
        assert all(isinstance(r, Ok) for r in results), [
            r for r in results if not isinstance(r, Ok)
        ]
        operations = [r.ok() for r in results if isinstance(r, Ok)]
        assert sorted(op.label for op in operations) == operations_of(document)
        examples = share(TOTAL_REQUESTS, len(operations))
        failures: list[str] = []
        started = time.monotonic()
        try:
            for operation in operations:
                for mode in modes_for(operation):
                    failure = _attempt(lambda: fuzzer.fuzz(operation, mode, examples), mode)  # noqa: B023
                    if failure:
                        failures.append(f"{operation.label} [{mode.value}]\n{failure}")
        finally:
            fuzzer.close()
        elapsed = time.monotonic() - started
        assert not failures, "\n\n".join(failures)
        assert elapsed < 110, f"the fuzz took {elapsed:.0f} s; lower CITYBRAIN_FUZZ_EXAMPLES"

    @staticmethod
    async def _document(fuzzer: Fuzzer) -> dict[str, Any]:
        response = await fuzzer.http.get("/schema/openapi.json")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document


def _attempt(run: Callable[[], None], mode: GenerationMode) -> str | None:
    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            return None  # no input of this operation can be made invalid (e.g. a free string)
        return "Unsatisfiable: no valid request can be generated from the schema"
    except (Exception, BaseExceptionGroup) as exc:  # failing checks, or an error while sending
        return f"{type(exc).__name__}: {exc}"[:4000]
    return None

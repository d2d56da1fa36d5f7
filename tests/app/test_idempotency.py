"""The idempotency mechanism, on a tiny route that counts how often its work really ran."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar, Request, post
from litestar.params import FromPath, JSONBody

from app.errors import ProblemError, exception_handlers
from app.idempotency import IdempotencyKeyHeader, idempotent
from tests.app.portal import in_app
from tests.helpers import problem


class Order(msgspec.Struct):
    amount: int


class Done(msgspec.Struct):
    run: int
    amount: int


class TooMuch(ProblemError):
    status, code, title = 402, "too_much", "Too much"


runs: list[int] = []
RUN = uuid.uuid4().hex[:8]  # keys stay unique when a database is reused


@post("/orders/{who:str}", status_code=201)
async def create_order(
    request: Request[Any, Any, Any],
    who: FromPath[str],
    data: JSONBody[Order],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    async def work() -> Done:
        await asyncio.sleep(0.05)
        if data.amount > 100:
            raise TooMuch("over 100")
        runs.append(data.amount)
        return Done(run=len(runs), amount=data.amount)

    return await idempotent(
        request, scope=who, key=idempotency_key, required=True, status_code=201, run=work
    )


class Tiny:
    """Serves the tiny app on the main app's event loop (where the engine lives)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.app = Litestar([create_order], exception_handlers=exception_handlers)

    async def _send(self, requests: list[dict[str, Any]]) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as http:
            return list(await asyncio.gather(*(http.request(**r) for r in requests)))

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return (await self.many([{"method": "POST", "url": path, **kwargs}]))[0]

    async def many(self, requests: list[dict[str, Any]]) -> list[httpx.Response]:
        """Requests in flight at the same time."""
        return await in_app(self.client, self._send, requests)


@pytest.fixture(scope="module")
def tiny(client: Any) -> Tiny:
    return Tiny(client)


class TestIdempotentRequests:
    async def test_replay_returns_first_response(self, tiny: Tiny) -> None:
        before = len(runs)
        first = await tiny.post(
            f"/orders/{RUN}a", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )
        again = await tiny.post(
            f"/orders/{RUN}a", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )
        assert first.status_code == again.status_code == 201
        assert first.content == again.content
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert len(runs) == before + 1

    async def test_key_is_scoped_to_caller(self, tiny: Tiny) -> None:
        a = await tiny.post(
            f"/orders/{RUN}a", json={"amount": 6}, headers={"Idempotency-Key": "k2"}
        )
        b = await tiny.post(
            f"/orders/{RUN}b", json={"amount": 6}, headers={"Idempotency-Key": "k2"}
        )
        assert a.json()["run"] != b.json()["run"]

    async def test_same_key_other_body_is_refused(self, tiny: Tiny) -> None:
        await tiny.post(f"/orders/{RUN}c", json={"amount": 7}, headers={"Idempotency-Key": "k3"})
        reused = await tiny.post(
            f"/orders/{RUN}c", json={"amount": 8}, headers={"Idempotency-Key": "k3"}
        )
        problem(reused, 422, "idempotency_key_reused")

    async def test_body_compared_as_parsed_json(self, tiny: Tiny) -> None:
        headers = {"Idempotency-Key": "k4", "Content-Type": "application/json"}
        first = await tiny.post(f"/orders/{RUN}d", content=b'{"amount": 9}', headers=headers)
        again = await tiny.post(f"/orders/{RUN}d", content=b'{ "amount":9 }', headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.content == first.content

    async def test_missing_key_is_refused(self, tiny: Tiny) -> None:
        before = len(runs)
        problem(
            await tiny.post(f"/orders/{RUN}e", json={"amount": 1}), 422, "idempotency_key_required"
        )
        assert len(runs) == before

    async def test_too_long_key_is_refused(self, tiny: Tiny) -> None:
        response = await tiny.post(
            f"/orders/{RUN}e", json={"amount": 1}, headers={"Idempotency-Key": "x" * 256}
        )
        problem(response, 422, "validation_error")

    async def test_domain_error_is_replayed(self, tiny: Tiny) -> None:
        headers = {"Idempotency-Key": "k5"}
        first = await tiny.post(f"/orders/{RUN}f", json={"amount": 500}, headers=headers)
        problem(first, 402, "too_much")
        again = await tiny.post(f"/orders/{RUN}f", json={"amount": 500}, headers=headers)
        problem(again, 402, "too_much")
        assert again.headers["Idempotent-Replayed"] == "true"

    async def test_concurrent_retry_runs_once(self, tiny: Tiny) -> None:
        before = len(runs)
        headers = {"Idempotency-Key": "k6"}
        responses = await tiny.many(
            [
                {
                    "method": "POST",
                    "url": f"/orders/{RUN}g",
                    "json": {"amount": 3},
                    "headers": headers,
                }
            ]
            * 5
        )
        assert len(runs) == before + 1
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}
        assert statuses.count(201) >= 1
        assert statuses.count(409) >= 1  # the retries overlapped the first request
        for r in responses:
            if r.status_code == 409:
                problem(r, 409, "idempotency_key_in_use")

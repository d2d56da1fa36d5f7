"""The idempotency mechanism, on a tiny route that counts how often its work really ran."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar, Request, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient

from app.errors import ProblemError, exception_handlers
from app.idempotency import IdempotencyKeyHeader, idempotent
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


@pytest.fixture(scope="module")
async def tiny(client: Any) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = Litestar([create_order], exception_handlers=exception_handlers)
    async with AsyncTestClient(app) as test_client:
        yield test_client


class TestIdempotentRequests:
    async def test_replay_returns_first_response(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        before = len(runs)
        first = await tiny.post(f"/orders/{RUN}a", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        again = await tiny.post(f"/orders/{RUN}a", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 201
        assert first.content == again.content
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert len(runs) == before + 1

    async def test_key_is_scoped_to_caller(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        a = await tiny.post(f"/orders/{RUN}a", json={"amount": 6}, headers={"Idempotency-Key": "k2"})
        b = await tiny.post(f"/orders/{RUN}b", json={"amount": 6}, headers={"Idempotency-Key": "k2"})
        assert a.json()["run"] != b.json()["run"]

    async def test_same_key_other_body_is_refused(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        await tiny.post(f"/orders/{RUN}c", json={"amount": 7}, headers={"Idempotency-Key": "k3"})
        reused = await tiny.post(f"/orders/{RUN}c", json={"amount": 8}, headers={"Idempotency-Key": "k3"})
        problem(reused, 422, "idempotency_key_reused")

    async def test_body_compared_as_parsed_json(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        headers = {"Idempotency-Key": "k4", "Content-Type": "application/json"}
        first = await tiny.post(f"/orders/{RUN}d", content=b'{"amount": 9}', headers=headers)
        again = await tiny.post(f"/orders/{RUN}d", content=b'{ "amount":9 }', headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.content == first.content

    async def test_missing_key_is_refused(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        before = len(runs)
        problem(await tiny.post(f"/orders/{RUN}e", json={"amount": 1}), 422, "idempotency_key_required")
        assert len(runs) == before

    async def test_too_long_key_is_refused(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        response = await tiny.post(
            f"/orders/{RUN}e", json={"amount": 1}, headers={"Idempotency-Key": "x" * 256}
        )
        problem(response, 422, "validation_error")

    async def test_domain_error_is_replayed(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        headers = {"Idempotency-Key": "k5"}
        first = await tiny.post(f"/orders/{RUN}f", json={"amount": 500}, headers=headers)
        problem(first, 402, "too_much")
        again = await tiny.post(f"/orders/{RUN}f", json={"amount": 500}, headers=headers)
        problem(again, 402, "too_much")
        assert again.headers["Idempotent-Replayed"] == "true"

    async def test_concurrent_retry_runs_once(self, tiny: AsyncTestClient) -> None:  # type: ignore[type-arg]
        before = len(runs)
        headers = {"Idempotency-Key": "k6"}
        responses = await asyncio.gather(
            *[tiny.post(f"/orders/{RUN}g", json={"amount": 3}, headers=headers) for _ in range(5)]
        )
        assert len(runs) == before + 1
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}
        assert statuses.count(201) >= 1
        for r in responses:
            if r.status_code == 409:
                problem(r, 409, "idempotency_key_in_use")

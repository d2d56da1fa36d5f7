"""With a real Redis and real `citybrain worker` processes that each test starts and stops.

The session app queues into a private Redis database through a TCP proxy (so that a test can
take Redis "down" for the app and the workers alike without stopping anyone's Redis); the
workers share the test database and keys through the environment they inherit.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

import app.redis
from app.jobs import ArqRunner, get_runner, set_runner
from app.ratelimit import get_limiter
from notifications.config import set_config
from tests.helpers import Api
from tests.journeys.actors import health_code
from tests.notifications.conftest import FAST, ReceiverFactory
from tests.notifications.helpers import (
    in_app,
    publish_event,
    register_external_app,
    sql,
    verify_signature,
    webhook_log,
)
from tests.notifications.test_stream import SseReader
from tests.notifications.worker_support import RedisProxy, WorkerProcess

pytestmark = pytest.mark.redis

QUEUE_DB = 9
WORKER_ENV = {
    "CITYBRAIN_JOB_TIMEOUT": "3",  # arq runs a killed worker's job again 3 + 10 s later
    "CITYBRAIN_NOTIFY_RETRY_BASE": "0.2",
    "CITYBRAIN_NOTIFY_SWEEP_EVERY": "1",
    "CITYBRAIN_WEBHOOK_TIMEOUT": "2",
}


@pytest.fixture
def proxy() -> Iterator[RedisProxy]:
    redis_proxy = RedisProxy(os.environ["REDIS_URL"])
    redis_proxy.restore()
    yield redis_proxy
    redis_proxy.cut()


@pytest.fixture
async def queue_url(api: Api, proxy: RedisProxy) -> AsyncIterator[str]:
    """For this test the app queues jobs, and checks its health, through the proxy."""
    url = proxy.url(QUEUE_DB)
    saved: dict[str, Any] = {}

    async def swap() -> None:
        get_limiter()  # keeps its own client: rate limits are not what this test cuts
        saved["runner"], saved["client"] = get_runner(), app.redis._client
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        await client.flushdb()
        app.redis._client = client
        runner = ArqRunner(url)
        await runner.start()
        set_runner(runner)

    async def restore() -> None:
        runner, client = get_runner(), app.redis._client
        set_runner(saved["runner"])
        app.redis._client = saved["client"]
        assert isinstance(runner, ArqRunner) and client is not None
        await runner.close()
        await client.aclose()

    await in_app(api, swap)
    yield url
    await in_app(api, restore)


@pytest.fixture
def workers(queue_url: str) -> Iterator[Callable[[], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(queue_url, **WORKER_ENV).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float, what: str, worker: WorkerProcess
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; the worker said:\n{worker.output()}")


async def inbox_ids(api: Api, headers: dict[str, str]) -> list[str]:
    response = await api.client.get("/api/v1/notifications", headers=headers)
    return [item["id"] for item in response.json()["items"]]


class TestWithAWorker:
    async def test_a_colour_change_reaches_the_inbox_and_the_live_stream(
        self, api: Api, workers: Callable[[], WorkerProcess], server_url: str
    ) -> None:
        set_config(msgspec.structs.replace(FAST, stream_poll_seconds=30))  # pub/sub must wake it
        worker = workers()
        citizen = await api.citizen()
        await health_code(api, citizen, "green")
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=30) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            reader = await SseReader(response).connected()
            await health_code(api, citizen, "yellow")  # a fever: the colour changes
            event = await reader.next_event(within=20)
            body = json.loads(event["data"])
            assert body["kind"] == "healthcode.colour_changed", worker.output()
            assert body["id"] == event["id"]
        items = (await api.client.get("/api/v1/notifications", headers=citizen.headers)).json()
        assert [item["id"] for item in items["items"]] == [event["id"]]

    async def test_500_twice_then_200_with_three_attempts_logged(
        self, api: Api, workers: Callable[[], WorkerProcess], receiver: ReceiverFactory
    ) -> None:
        server = receiver([500, 500, 200])
        hook_app = await register_external_app(api, server.url)
        worker = workers()
        event_id = await publish_event(
            api, "hold.captured", None, miniapp=hook_app.slug, data={"hold_id": "h-1"}
        )

        async def sent() -> bool:
            log = await webhook_log(api, hook_app)
            return bool(log) and log[0]["status"] == "sent"

        await eventually(sent, 30, "the webhook to be delivered", worker)
        [logged] = await webhook_log(api, hook_app)
        assert [a["status_code"] for a in logged["attempts"]] == [500, 500, 200]
        assert len(server.received) == 3
        last = server.received[-1]
        secret = hook_app.webhook_secret
        assert verify_signature(last.headers["citybrain-signature"], last.body, secret)
        assert json.loads(last.body)["id"] == event_id

    async def test_400_is_not_retried(
        self, api: Api, workers: Callable[[], WorkerProcess], receiver: ReceiverFactory
    ) -> None:
        server = receiver([400, 200])
        hook_app = await register_external_app(api, server.url)
        worker = workers()
        await publish_event(api, "refund.created", None, miniapp=hook_app.slug)

        async def failed() -> bool:
            log = await webhook_log(api, hook_app)
            return bool(log) and log[0]["status"] == "failed"

        await eventually(failed, 30, "the webhook to fail", worker)
        await asyncio.sleep(1.5)  # several sweeps later: still one try
        assert len(server.received) == 1
        [logged] = await webhook_log(api, hook_app)
        assert [a["status_code"] for a in logged["attempts"]] == [400]

    async def test_a_worker_killed_mid_job_and_restarted_still_delivers(
        self, api: Api, workers: Callable[[], WorkerProcess], receiver: ReceiverFactory
    ) -> None:
        server = receiver([200], delays=[60.0])  # the first request hangs: the worker dies in it
        hook_app = await register_external_app(api, server.url)
        citizen = await api.citizen()
        first = workers()
        event_id = await publish_event(
            api, "grant.revoked", citizen.id, miniapp=hook_app.slug, data={"openid": "o-9"}
        )

        async def in_flight() -> bool:
            return len(server.received) == 1

        await eventually(in_flight, 20, "the webhook request", first)
        first.kill()
        second = workers()

        async def sent() -> bool:
            log = await webhook_log(api, hook_app)
            return bool(log) and log[0]["status"] == "sent"

        await eventually(sent, 45, "delivery after the restart", second)
        assert len(server.received) == 2
        assert server.received[0].body == server.received[1].body
        assert await inbox_ids(api, citizen.headers) == [event_id]
        rows = await sql(api, "SELECT id FROM inbox_notification WHERE id = {}", event_id)
        assert len(rows) == 1


class TestRedisDown:
    async def test_writes_succeed_health_degrades_and_delivery_resumes(
        self,
        api: Api,
        proxy: RedisProxy,
        workers: Callable[[], WorkerProcess],
    ) -> None:
        worker = workers()
        citizen = await api.citizen()
        warm = await publish_event(api, "wallet.due", citizen.id)

        def arrived(event_id: str) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return event_id in await inbox_ids(api, citizen.headers)

            return check

        await eventually(arrived(warm), 20, "the first event", worker)

        proxy.cut()
        health = await api.client.get("/health")
        assert health.status_code == 200
        assert health.json()["queue"] == "unavailable" and health.json()["status"] == "degraded"
        # A write through the API while Redis is down: a fever turns the code yellow.
        started = time.monotonic()
        declared = await api.client.post(
            "/api/v1/healthcode/declarations",
            json={"temperature_c": 38.2, "symptoms": ["fever"], "visited_regions": []},
            headers=citizen.headers,
        )
        assert declared.status_code == 200 and declared.json()["colour"] == "yellow"
        assert time.monotonic() - started < 5  # no waiting on the queue
        rows = await sql(
            api,
            "SELECT id, status FROM outbox_event WHERE citizen_id = {} AND kind = {}",
            citizen.id,
            "healthcode.colour_changed",
        )
        assert [row["status"] for row in rows] == ["pending"]  # kept by the outbox
        event_id = rows[0]["id"]
        await asyncio.sleep(2)
        assert event_id not in await inbox_ids(api, citizen.headers)

        proxy.restore()
        await eventually(arrived(event_id), 40, "delivery after Redis came back", worker)
        health = await api.client.get("/health")
        assert health.json()["queue"] == "ok"
        assert (await inbox_ids(api, citizen.headers)).count(event_id) == 1

"""Drills on the outbox: `worker_killed_mid_delivery` (`kill -9` an arq worker while it delivers
webhooks and SMS) and `redis_down_20s` (Redis stopped under load)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.drills import scene
from bench.drills.client import Balancer
from bench.drills.procs import Cluster, free_port, query


@dataclass
class Receiver:
    """A webhook receiver on loopback that answers slowly, so that deliveries are in flight."""

    delay: float = 0.15
    port: int = field(default_factory=free_port)
    seen: list[str] = field(default_factory=list)  # event ids, duplicates included
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length)
                await asyncio.sleep(self.delay)
                self.seen.append(json.loads(body)["id"])
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self.server is not None:
            self.server.close()


async def _undelivered(database_url: str) -> tuple[int, int]:
    """(events not yet dispatched, deliveries not yet sent)."""
    events = await query(
        database_url, "SELECT COUNT(*) AS n FROM outbox_event WHERE status <> 'done'"
    )
    deliveries = await query(
        database_url, "SELECT COUNT(*) AS n FROM notification_delivery WHERE status <> 'sent'"
    )
    return int(events[0]["n"]), int(deliveries[0]["n"])


async def _wait_drained(database_url: str, within: float) -> float | None:
    """Seconds until every event is dispatched and every delivery sent; None if not in time."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await _undelivered(database_url) == (0, 0):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


async def _lost_webhooks(database_url: str, receiver: Receiver) -> int:
    rows = await query(
        database_url, "SELECT event_id FROM notification_delivery WHERE channel = 'webhook'"
    )
    return len({r["event_id"] for r in rows} - set(receiver.seen))


@dataclass
class Scene:
    admin: dict[str, str]
    app_tokens: list[dict[str, str]]
    citizen_ids: list[str]


async def _scene(base: str, receiver: Receiver, citizens: int) -> Scene:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        admin = await scene.admin(http)
        app = await scene.external_app(http, admin, receiver.url)
        tokens, ids = [], []
        for _ in range(citizens):
            citizen_id, headers = await scene.citizen(http)
            await scene.credit_limit(http, admin, citizen_id, 1_000_000)
            tokens.append(await scene.connect(http, app, headers))
            ids.append(citizen_id)
    return Scene(admin, tokens, ids)


async def _hold_and_void(lb: Balancer, token: dict[str, str]) -> list[int]:
    """A hold and its void: one `hold.voided` webhook. The statuses answered."""
    placed = await lb.send(
        "POST",
        "/api/v1/apps/wallet/holds",
        json={"amount": 100, "memo": "drill", "expires_in": 3600},
        headers={**token, "Idempotency-Key": uuid.uuid4().hex},
        budget=30,
    )
    if placed.status != 201:
        return [placed.status]
    voided = await lb.send(
        "POST", f"/api/v1/apps/wallet/holds/{placed.body['hold_id']}/void", headers=token, budget=30
    )
    return [placed.status, voided.status]


async def _turn_red(lb: Balancer, admin: dict[str, str], citizen_id: str) -> int:
    """An override to red: an urgent `healthcode.colour_changed`, sent by SMS at any hour."""
    answer = await lb.send(
        "POST",
        "/api/v1/admin/healthcode/overrides",
        json={"citizen_id": citizen_id, "colour": "red", "reason": "演练"},
        headers=admin,
        budget=30,
    )
    return answer.status


async def worker_killed(cluster: Cluster) -> tuple[bool, str]:
    async with Receiver() as receiver:
        app = await cluster.app("app")
        first = cluster.worker("worker-1")
        s = await _scene(app.base, receiver, 20)
        lb = Balancer([app.base])
        try:
            statuses = await asyncio.gather(
                *(_hold_and_void(lb, token) for token in s.app_tokens for _ in range(3)),
                *(_turn_red(lb, s.admin, citizen_id) for citizen_id in s.citizen_ids),
            )
        finally:
            await lb.close()
        refused = [x for x in statuses if (x if isinstance(x, int) else max(x)) >= 300]
        if refused:
            return False, f"{len(refused)} set-up calls refused: {refused[:3]}"
        deadline = time.monotonic() + 20
        while len(receiver.seen) < 5 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if not receiver.seen:
            return False, "the first worker delivered no webhook in 20 s"
        events, deliveries = await _undelivered(cluster.database_url)
        at_kill = len(receiver.seen)
        first.kill9()
        killed_at = time.monotonic()
        await asyncio.sleep(1.0)
        cluster.worker("worker-2")
        drained = await _wait_drained(cluster.database_url, 60)
        lost = await _lost_webhooks(cluster.database_url, receiver)
        total = await query(
            cluster.database_url,
            "SELECT channel, COUNT(*) AS n FROM notification_delivery GROUP BY channel",
        )
    counts = {r["channel"]: int(r["n"]) for r in total}
    sms_lines = sum(
        p.log_text().count("[sms to ") for p in cluster.procs if p.name.startswith("worker")
    )
    detail = (
        f"{counts.get('webhook', 0)} webhooks and {counts.get('sms', 0)} SMS; killed with "
        f"{events} events and {deliveries} deliveries outstanding ({at_kill} webhooks received)"
    )
    if drained is None:
        left = await _undelivered(cluster.database_url)
        return (
            False,
            f"not drained 60 s after the new worker: {left[0]} events, "
            f"{left[1]} deliveries left; {detail}",
        )
    if lost:
        return False, f"{lost} webhook events never reached the receiver; {detail}"
    if sms_lines < counts.get("sms", 0):
        return False, f"the workers printed {sms_lines} SMS for {counts.get('sms', 0)} deliveries"
    duplicates = len(receiver.seen) - len(set(receiver.seen))
    return True, (
        f"{detail}; all delivered {time.monotonic() - killed_at:.1f} s after the kill, "
        f"{duplicates} webhooks delivered twice"
    )


REDIS_DOWN_FOR = 20.0


async def _load(lb: Balancer, tokens: list[dict[str, str]], stop: asyncio.Event) -> list[int]:
    """Holds and voids, one client per token, until `stop`: every status answered."""

    async def one(token: dict[str, str]) -> list[int]:
        statuses: list[int] = []
        while not stop.is_set():
            statuses += await _hold_and_void(lb, token)
        return statuses

    answered = await asyncio.gather(*(one(token) for token in tokens))
    return [status for statuses in answered for status in statuses]


async def _health(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        answer = await http.get("/health")
        body: dict[str, Any] = answer.json()
        return {"http": answer.status_code, **body}


async def redis_down(cluster: Cluster) -> tuple[bool, str]:
    if cluster.redis is None:
        return False, "the drill needs a Redis of its own"
    async with Receiver(delay=0.02) as receiver:
        app = await cluster.app("app")
        cluster.worker("worker")
        s = await _scene(app.base, receiver, 8)
        lb = Balancer([app.base])
        stop = asyncio.Event()
        try:
            before = asyncio.create_task(_load(lb, s.app_tokens, stop))
            await asyncio.sleep(2.0)
            stop.set()
            served_before = await before
            stop.clear()
            during = asyncio.create_task(_load(lb, s.app_tokens, stop))
            await asyncio.to_thread(cluster.redis.stop)
            down_at = time.monotonic()
            await asyncio.sleep(3.0)  # the app notices at its next use of Redis
            health_down = await _health(app.base)
            await asyncio.sleep(max(0.0, REDIS_DOWN_FOR - (time.monotonic() - down_at)))
            stop.set()
            served_during = await during
            waiting = await _undelivered(cluster.database_url)
            await asyncio.to_thread(cluster.redis.start)
            back_at = time.monotonic()
            drained = await _wait_drained(cluster.database_url, 60)
            health_back = await _health(app.base)
        finally:
            await lb.close()
        lost = await _lost_webhooks(cluster.database_url, receiver)
    refused = [x for x in served_during if x >= 300]
    detail = (
        f"{len(served_before)} calls before, {len(served_during)} while Redis was down "
        f"({len(refused)} refused), {waiting[0]} events and {waiting[1]} deliveries waiting, "
        f"/health {health_down['http']} {health_down.get('status')}/{health_down.get('queue')}"
    )
    problems = []
    if not served_during or refused:
        problems.append(f"not served while Redis was down: {refused[:3]}")
    if (health_down["http"], health_down.get("status"), health_down.get("queue")) != (
        200,
        "degraded",
        "unavailable",
    ):
        problems.append(f"/health while down: {health_down}")
    if drained is None:
        problems.append(
            f"not drained 60 s after Redis returned: {await _undelivered(cluster.database_url)}"
        )
    if lost:
        problems.append(f"{lost} webhook events never reached the receiver")
    if health_back.get("status") != "ok":
        problems.append(f"/health after: {health_back}")
    if problems:
        return False, f"{problems[0]}; {detail}"
    return True, f"{detail}; all drained {time.monotonic() - back_at:.1f} s after Redis returned"

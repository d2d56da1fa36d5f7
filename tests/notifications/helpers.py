"""Helpers for tests that need notifications delivered: usable from any domain's tests.

`settle(api)` delivers everything due, whichever runner the app uses: with the in-process runner
it waits for queued jobs; with REDIS_URL set (jobs go to arq, and no worker runs during most
tests) it runs the dispatcher directly in the test process. Rows are claimed, so both paths
together never deliver twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from app.database import atomic, fetch, fetch_one
from app.jobs import InProcessRunner, get_runner
from notifications._util import now
from notifications.dispatcher import run_pending
from notifications.outbox import publish
from tests.app import portal
from tests.helpers import Api, Citizen

T = TypeVar("T")


async def in_app(api: Api, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run app code on the app's own event loop (tests/app/portal.py): jobs queued by
    requests, the database engine and the channels live there."""
    return await portal.in_app(api.client, fn, *args, **kwargs)


async def publish_event(api: Api, kind: str, citizen_id: str | None, **fields: Any) -> str:
    """Publish an event from inside a transaction, as a domain does (on the app's loop)."""

    async def run() -> str:
        async with atomic():
            return await publish(
                kind,
                citizen_id=citizen_id,
                title=fields.pop("title", f"{kind} 通知"),
                body=fields.pop("body", "详情请查看城市大脑。"),
                **fields,
            )

    return await in_app(api, run)


async def sql(api: Api, query: str, *args: Any) -> list[dict[str, Any]]:
    rows = await in_app(api, fetch, query, *args)
    return [dict(row) for row in rows]


async def settle(api: Api, within: float = 10.0, horizon: float = 2.0) -> None:
    """Deliver all due work, and work falling due within `horizon` seconds (retries)."""
    await in_app(api, _settle, within, horizon)


async def _settle(within: float, horizon: float) -> None:
    deadline = time.monotonic() + within
    while True:
        runner = get_runner()
        if isinstance(runner, InProcessRunner):
            await runner.drain()
        await run_pending()
        if isinstance(runner, InProcessRunner):
            await runner.drain()
        soon = now() + timedelta(seconds=horizon)
        left = await fetch_one(
            "SELECT COUNT(*) AS n FROM ("
            "SELECT id FROM outbox_event WHERE status = 'pending' AND next_attempt_at <= {} "
            "UNION ALL SELECT id FROM notification_delivery "
            "WHERE status = 'pending' AND next_attempt_at <= {}) AS due",
            soon,
            soon,
        )
        if not left or int(left["n"]) == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{left['n']} notifications still due after {within}s")
        await asyncio.sleep(0.02)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """An HTTP server on 127.0.0.1, in its own thread (so it answers whatever event loop is
    busy), answering with scripted statuses (the last one repeats) after optional delays."""

    def __init__(self, statuses: list[int], delays: list[float] | None = None) -> None:
        self.statuses = statuses
        self.delays = delays or []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    index = len(receiver.received)
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if index < len(receiver.delays):
                    time.sleep(receiver.delays[index])
                status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify_signature(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """What a receiving mini-app does with `CityBrain-Signature`."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


@dataclass
class ExternalApp:
    app_id: str
    slug: str
    webhook_secret: str
    developer: Citizen


async def register_external_app(api: Api, webhook_url: str) -> ExternalApp:
    """An external mini-app registered through the real developer API (miniapps)."""
    developer = await api.citizen()
    slug = f"hook-{uuid.uuid4().hex[:12]}"
    response = await api.client.post(
        "/api/v1/developer/apps",
        json={"slug": slug, "name": "测试应用", "scopes": [], "webhook_url": webhook_url},
        headers=developer.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return ExternalApp(body["app_id"], slug, body["webhook_secret"], developer)


async def webhook_log(api: Api, app: ExternalApp) -> list[dict[str, Any]]:
    response = await api.client.get(
        f"/api/v1/developer/apps/{app.app_id}/webhook-deliveries", headers=app.developer.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items

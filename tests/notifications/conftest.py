"""Notification fixtures: fast retries, daytime, fake mini-apps, a recording push sender and
local webhook receivers."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import uvicorn

from notifications import apps, dispatcher
from notifications.config import NotifyConfig, set_config
from notifications.push import RecordingPushSender, set_push_sender
from tests.helpers import Api
from tests.notifications.helpers import WebhookReceiver

FAST = NotifyConfig(
    retry_base_seconds=0.01,
    retry_max_delay=0.05,
    max_tries=4,
    lease_seconds=5,
    webhook_timeout=1.0,
    stream_poll_seconds=0.2,
    app_send_limit=5,
)


@pytest.fixture(autouse=True)
def fast_delivery() -> Iterator[NotifyConfig]:
    set_config(FAST)
    yield FAST
    set_config(None)


@pytest.fixture(autouse=True)
def daytime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run outside quiet hours unless they say otherwise (see test_channels)."""

    def never_quiet(at: datetime) -> datetime | None:
        return None

    monkeypatch.setattr(dispatcher, "quiet_until", never_quiet)


@dataclass
class FakeApps:
    """Stands in for miniapps.service: which apps exist, their templates and webhooks."""

    templates: dict[str, list[str]] = field(default_factory=dict)
    endpoints: dict[str, tuple[str, str]] = field(default_factory=dict)
    owners: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(
        self,
        templates: list[str] | None = None,
        webhook_url: str | None = None,
        developer_id: str = "",
    ) -> tuple[str, str, str]:
        """Register an app; returns (slug, app_id, webhook secret)."""
        slug = f"app{uuid.uuid4().hex[:10]}"
        app_id, secret = str(uuid.uuid4()), uuid.uuid4().hex
        self.templates[slug] = templates or ["visit_reminder", "bill_ready"]
        if webhook_url:
            self.endpoints[slug] = (webhook_url, secret)
        self.owners[app_id] = (slug, developer_id)
        return slug, app_id, secret


@pytest.fixture
def fake_apps(monkeypatch: pytest.MonkeyPatch) -> FakeApps:
    fake = FakeApps()

    async def app_templates(slug: str) -> list[str] | None:
        return fake.templates.get(slug)

    async def webhook_endpoint(slug: str) -> tuple[str, str] | None:
        return fake.endpoints.get(slug)

    async def app_owner(app_id: str) -> tuple[str, str] | None:
        return fake.owners.get(app_id)

    monkeypatch.setattr(apps, "app_templates", app_templates)
    monkeypatch.setattr(apps, "webhook_endpoint", webhook_endpoint)
    monkeypatch.setattr(apps, "app_owner", app_owner)
    return fake


@pytest.fixture
def push_sender() -> Iterator[RecordingPushSender]:
    sender = RecordingPushSender()
    set_push_sender(sender)
    yield sender
    set_push_sender(None)


ReceiverFactory = Callable[..., WebhookReceiver]


@pytest.fixture
def receiver() -> Iterator[ReceiverFactory]:
    started: list[WebhookReceiver] = []

    def make(statuses: list[int], delays: list[float] | None = None) -> WebhookReceiver:
        server = WebhookReceiver(statuses, delays).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
async def server_url(api: Api) -> AsyncIterator[str]:
    """The session app served over TCP by uvicorn, running in the app's portal loop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = api.client.app
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    portal = api.client.blocking_portal
    future = portal.start_task_soon(server.serve)
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wrap_future(future)

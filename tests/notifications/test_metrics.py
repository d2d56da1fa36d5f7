"""Notification metrics: webhook delivery tries counted by channel and status."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.helpers import Api
from tests.notifications.conftest import FakeApps, ReceiverFactory
from tests.notifications.helpers import publish_event, settle


def tries(channel: str, status: str) -> float:
    labels = {"channel": channel, "status": status}
    return REGISTRY.get_sample_value("citybrain_notification_deliveries_total", labels) or 0.0


async def test_webhook_failures_and_the_final_send_are_counted(
    api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
) -> None:
    developer = await api.citizen()
    server = receiver([500, 500, 200])
    slug, _, _ = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
    retried, sent = tries("webhook", "retry"), tries("webhook", "sent")
    await publish_event(api, "hold.voided", None, miniapp=slug, data={"hold_id": "h-metrics"})
    await settle(api)
    assert len(server.received) == 3
    assert (tries("webhook", "retry"), tries("webhook", "sent")) == (retried + 2, sent + 1)


async def test_a_refused_webhook_counts_as_failed(
    api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
) -> None:
    developer = await api.citizen()
    server = receiver([400])
    slug, _, _ = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
    failed = tries("webhook", "failed")
    await publish_event(api, "refund.created", None, miniapp=slug, data={"refund_id": "r-m"})
    await settle(api)
    assert tries("webhook", "failed") == failed + 1

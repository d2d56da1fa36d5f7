"""The transactional outbox: the one way any domain announces something to a citizen or app.

`publish` writes an event row inside the caller's transaction, so the event exists exactly
when the change it announces committed. Once committed, a dispatch job is queued; should the
queue be down, the periodic sweeper (notifications.tasks) finds the row later. Nothing is
sent from here: channels run in the dispatcher, at least once, idempotent by event id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from app.database import atomic, fetch
from app.jobs import enqueue_after_commit
from app.security import new_id

DISPATCH_TASK = "notifications.tasks.dispatch_event"


async def publish(
    kind: str,
    *,
    citizen_id: str | None,
    title: str,
    body: str,
    miniapp: str | None = None,
    data: dict[str, Any] | None = None,
    urgent: bool = False,
) -> str:
    """Record an event in the caller's transaction and return its id (the notification id)."""
    event_id = new_id()
    now = datetime.now(UTC)
    async with atomic():  # joins the caller's transaction
        await fetch(
            "INSERT INTO outbox_event (id, kind, citizen_id, miniapp, title, body, data, urgent, "
            "status, attempts, next_attempt_at, last_error, created_at, dispatched_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, NULL, {}, NULL)",
            event_id,
            kind[:60],
            citizen_id,
            miniapp,
            title[:200],
            body,
            msgspec.json.encode(data or {}).decode(),
            bool(urgent),
            now,
            now,
        )
        enqueue_after_commit(DISPATCH_TASK, job_id=f"dispatch:{event_id}", event_id=event_id)
    return event_id


async def send_from_app(miniapp: str, citizen_id: str, template: str, data: dict[str, Any]) -> str:
    """A mini-app notifies a citizen with a template the citizen subscribed to.

    Raises `NotSubscribed` (403) without a subscription and `RateLimited` (429) past the app's
    send rate; consumes a one-time subscription. Returns the event id.
    """
    from notifications import subscriptions

    return await subscriptions.send_from_app(miniapp, citizen_id, template, data)


async def refresh_metrics() -> None:
    """Outbox depth for `/metrics` (run at scrape time): what waits, and for how long."""
    from app import metrics
    from notifications._util import utc

    events = await fetch(
        "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox_event WHERE status = 'pending'"
    )
    deliveries = await fetch(
        "SELECT count(*) AS n FROM notification_delivery WHERE status = 'pending'"
    )
    metrics.OUTBOX_PENDING.labels("events").set(int(events[0]["n"]))
    metrics.OUTBOX_PENDING.labels("deliveries").set(int(deliveries[0]["n"]))
    oldest = events[0]["oldest"]
    age = (datetime.now(UTC) - utc(oldest)).total_seconds() if oldest is not None else 0.0
    metrics.OUTBOX_OLDEST.set(max(0.0, age))

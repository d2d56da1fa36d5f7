"""Notification jobs: dispatch an event, make one try of a delivery, and the sweeper.

All three are idempotent (the rows they claim are the guard), so the at-least-once queue may
run any of them twice. Task names are fixed: `notifications.outbox` queues them by name.
"""

from __future__ import annotations

import os

from app.jobs import periodic, task
from notifications import delivery, dispatcher

SWEEP_EVERY = int(os.environ.get("CITYBRAIN_NOTIFY_SWEEP_EVERY") or 30)


@task
async def dispatch_event(event_id: str) -> None:
    await dispatcher.dispatch_event(event_id)


@task
async def deliver(delivery_id: str) -> None:
    await delivery.deliver(delivery_id)


@periodic(SWEEP_EVERY)
async def sweep_outbox() -> None:
    """Re-queue what the queue missed: Redis was down, a worker died, quiet hours ended."""
    await dispatcher.sweep()

"""The dispatcher: turns committed outbox events into an inbox row and channel deliveries.

`dispatch_event` fans one event out in a single transaction: the inbox row (its id is the
event id, so a second run inserts nothing), one delivery row per outside channel (unique per
event, channel and target) and the event marked done. It is safe to run twice or
concurrently; a failure leaves the event pending with a backoff, and after the last try it
becomes a dead letter. `sweep` re-queues whatever the queue missed (Redis down, a killed
worker), `run_pending` does all due work in this process (operations and tests).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from app import metrics
from app.database import after_commit, atomic, fetch, fetch_one
from app.jobs import enqueue, enqueue_after_commit
from app.security import new_id
from notifications import apps, stream
from notifications._util import now, short_error, utc
from notifications.config import SMS_KINDS, WEBHOOK_KINDS, backoff, get_config, quiet_until

log = logging.getLogger("citybrain.notifications")

DISPATCH_TASK = "notifications.tasks.dispatch_event"
DELIVER_TASK = "notifications.tasks.deliver"
SWEEP_GRACE = timedelta(seconds=10)  # leave fresh rows to the job queued at commit


async def dispatch_event(event_id: str) -> bool:
    """Fan one event out; True when this call did it, False when there was nothing to do."""
    try:
        async with atomic():
            event = await fetch_one(
                "UPDATE outbox_event SET status = 'done', dispatched_at = {} "
                "WHERE id = {} AND status = 'pending' RETURNING *",
                now(),
                event_id,
            )
            if event is None:
                return False
            await _fan_out(event)
        return True
    except Exception as exc:
        log.exception("dispatch of event %s failed", event_id)
        metrics.DISPATCH_FAILURES.inc()
        await _record_event_failure(event_id, exc)
        return False


async def _fan_out(event: dict[str, Any]) -> None:
    citizen_id: str | None = event["citizen_id"]
    kind: str = event["kind"]
    at = now()
    if citizen_id:
        inserted = await fetch(
            "INSERT INTO inbox_notification (id, citizen_id, kind, title, body, miniapp, "
            "created_at, read_at) VALUES ({}, {}, {}, {}, {}, {}, {}, NULL) "
            "ON CONFLICT (id) DO NOTHING RETURNING seq",
            event["id"],
            citizen_id,
            kind,
            event["title"],
            event["body"],
            event["miniapp"],
            utc(event["created_at"]),
        )
        if inserted:
            after_commit(_announcer(citizen_id))
        held = None if event["urgent"] else quiet_until(at)
        if await _has_push_device(citizen_id):
            await _add_delivery(event["id"], "push", citizen_id, held or at)
        if kind in SMS_KINDS:
            await _add_delivery(event["id"], "sms", citizen_id, held or at)
    slug = event["miniapp"]
    if slug and kind in WEBHOOK_KINDS:
        if apps.in_process_handles(slug, kind):
            await _add_delivery(event["id"], "app", slug, at)
        elif await apps.webhook_endpoint(slug) is not None:
            await _add_delivery(event["id"], "webhook", slug, at)


def _announcer(citizen_id: str) -> Any:
    async def announce() -> None:
        await stream.announce(citizen_id)

    return announce


async def _has_push_device(citizen_id: str) -> bool:
    row = await fetch_one("SELECT 1 AS one FROM push_device WHERE citizen_id = {}", citizen_id)
    return row is not None


async def _add_delivery(event_id: str, channel: str, target: str, due: datetime) -> None:
    rows = await fetch(
        "INSERT INTO notification_delivery (id, event_id, channel, target, dedupe_key, status, "
        "attempts, next_attempt_at, last_error, created_at, finished_at) "
        "VALUES ({}, {}, {}, {}, {}, 'pending', 0, {}, NULL, {}, NULL) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        new_id(),
        event_id,
        channel,
        target,
        f"{event_id}:{channel}:{target}",
        due,
        now(),
    )
    if rows and due <= now():
        delivery_id = rows[0]["id"]
        enqueue_after_commit(
            DELIVER_TASK, job_id=f"deliver:{delivery_id}:0", delivery_id=delivery_id
        )


async def _record_event_failure(event_id: str, exc: BaseException) -> None:
    config = get_config()
    try:
        async with atomic():
            row = await fetch_one(
                "UPDATE outbox_event SET attempts = attempts + 1, last_error = {} "
                "WHERE id = {} AND status = 'pending' RETURNING attempts",
                short_error(exc),
                event_id,
            )
            if row is None:
                return
            attempts = int(row["attempts"])
            if attempts >= config.max_tries:
                await fetch("UPDATE outbox_event SET status = 'dead' WHERE id = {}", event_id)
            else:
                await fetch(
                    "UPDATE outbox_event SET next_attempt_at = {} WHERE id = {}",
                    now() + backoff(attempts),
                    event_id,
                )
    except Exception:
        log.exception("could not record the failure of event %s", event_id)


# Catching up ------------------------------------------------------------------------------


async def _due(table: str, before: datetime, limit: int) -> list[dict[str, Any]]:
    return await fetch(
        f"SELECT id, next_attempt_at FROM {table} "  # noqa: S608 (one of our two tables)
        "WHERE status = 'pending' AND next_attempt_at <= {} ORDER BY next_attempt_at LIMIT {}",
        before,
        limit,
    )


async def due_events(before: datetime, limit: int = 500) -> list[str]:
    return [row["id"] for row in await _due("outbox_event", before, limit)]


async def due_deliveries(before: datetime, limit: int = 500) -> list[str]:
    return [row["id"] for row in await _due("notification_delivery", before, limit)]


_SWEPT = (
    (DISPATCH_TASK, "outbox_event", "event_id"),
    (DELIVER_TASK, "notification_delivery", "delivery_id"),
)


async def sweep() -> int:
    """Queue jobs for every event and delivery that is due but was not (or no longer) queued.

    Each job id names the row and its next attempt, so a row still waiting in the queue from
    the last sweep is not queued again (a backlog after a Redis outage would otherwise be
    queued once per sweep, and drain ever slower); a row whose attempt failed has a new next
    attempt, so a new id."""
    before = now() - SWEEP_GRACE
    queued = 0
    for task, table, argument in _SWEPT:
        for row in await _due(table, before, 500):
            job_id = f"sweep:{table}:{row['id']}:{row['next_attempt_at']}"
            await enqueue(task, job_id, **{argument: row["id"]})
            queued += 1
    return queued


async def run_pending(max_rounds: int = 20) -> int:
    """Dispatch and deliver everything due now, in this process, without the queue."""
    from notifications import delivery

    done = 0
    for _ in range(max_rounds):
        at = now()
        events = await due_events(at)
        deliveries = await due_deliveries(at)
        if not events and not deliveries:
            break
        for event_id in events:
            done += await dispatch_event(event_id)
        for delivery_id in deliveries:
            done += await delivery.deliver(delivery_id)
    return done

"""The dispatcher: turns committed outbox events into an inbox row and channel deliveries.

`dispatch_event` fans one event out in a single transaction: the inbox row (its id is the
event id, so a second run inserts nothing), one delivery row per outside channel (unique per
event, channel and target) and the event marked done. It is safe to run twice or
concurrently; a failure leaves the event pending with a backoff, and after the last try it
becomes a dead letter. `sweep` re-queues whatever the queue missed (Redis down, a killed
worker), `run_pending` does all due work in this process (operations and tests).
"""

from __future__ import annotations

import asyncio
import logging
import time
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


async def _due(
    table: str, before: datetime, limit: int, after: tuple[Any, str] | None = None
) -> list[dict[str, Any]]:
    """Due rows oldest first; `after` is the last (next_attempt_at, id) of the page before."""
    sql = (
        f"SELECT id, next_attempt_at FROM {table} "  # noqa: S608 (one of our two tables)
        "WHERE status = 'pending' AND next_attempt_at <= {}"
    )
    args: list[Any] = [before]
    if after is not None:
        sql += " AND (next_attempt_at > {} OR (next_attempt_at = {} AND id > {}))"
        args += [after[0], after[0], after[1]]
    return await fetch(sql + " ORDER BY next_attempt_at, id LIMIT {}", *args, limit)


async def due_events(before: datetime, limit: int = 500) -> list[str]:
    return [row["id"] for row in await _due("outbox_event", before, limit)]


async def due_deliveries(before: datetime, limit: int = 500) -> list[str]:
    return [row["id"] for row in await _due("notification_delivery", before, limit)]


_SWEPT = (
    (DISPATCH_TASK, "outbox_event", "event_id"),
    (DELIVER_TASK, "notification_delivery", "delivery_id"),
)
SWEEP_PAGE = 500
SWEEP_AT_ONCE = 50  # enqueues in flight together (each is a few Redis round trips)


async def sweep(max_rows: int = 50_000) -> int:
    """Queue jobs for every event and delivery that is due but was not (or no longer) queued.

    Each job id names the row and its next attempt, so a row still waiting in the queue from
    the last sweep is not queued again (a backlog after a Redis outage would otherwise be
    queued once per sweep, and drain ever slower); a row whose attempt failed has a new next
    attempt, so a new id. The sweep pages through the whole backlog (up to `max_rows` a
    table), enqueueing many at once, and stops at half its job's time limit: a backlog of
    thousands is queued in one sweep, not 500 rows a sweep."""
    before = now() - SWEEP_GRACE
    stop_at = time.monotonic() + get_config().lease_seconds / 2
    queued = 0
    for task, table, argument in _SWEPT:
        after: tuple[Any, str] | None = None
        for _ in range(0, max_rows, SWEEP_PAGE):
            rows = await _due(table, before, SWEEP_PAGE, after)
            for start in range(0, len(rows), SWEEP_AT_ONCE):
                await asyncio.gather(
                    *(
                        enqueue(
                            task,
                            f"sweep:{table}:{row['id']}:{row['next_attempt_at']}",
                            **{argument: row["id"]},
                        )
                        for row in rows[start : start + SWEEP_AT_ONCE]
                    )
                )
            queued += len(rows)
            if len(rows) < SWEEP_PAGE or time.monotonic() > stop_at:
                break
            after = (rows[-1]["next_attempt_at"], rows[-1]["id"])
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

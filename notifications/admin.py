"""Dead letters for platform admins, and the webhook log and replay for an app's developer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.database import atomic, fetch, fetch_one
from app.errors import FieldError, NotFound, ValidationFailed
from app.jobs import enqueue_after_commit
from app.pagination import decode_cursor, encode_cursor
from notifications import apps, delivery
from notifications._util import now, utc
from notifications.errors import NothingToReplay
from notifications.schemas import (
    DeadLetter,
    DeliveryAttemptView,
    Replayed,
    WebhookDeliveryView,
)

DISPATCH_TASK = "notifications.tasks.dispatch_event"
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def _bound(cursor: str | None) -> tuple[datetime, str]:
    """The (created_at, id) a page starts below; newest first."""
    after = decode_cursor(cursor)
    if not after:
        return _FAR_FUTURE, ""
    try:
        return utc(after[0]), str(after[1])
    except (IndexError, TypeError, ValueError):
        raise ValidationFailed(
            errors=[FieldError(field="cursor", message="not a cursor this API returned")]
        ) from None


def _next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(utc(last["created_at"]).isoformat(), last["id"])


async def dead_letters(limit: int, cursor: str | None) -> tuple[list[DeadLetter], str | None]:
    """Events that could not be fanned out and deliveries out of tries, newest first."""
    at, last_id = _bound(cursor)
    rows = await fetch(
        "SELECT * FROM ("
        "SELECT id, 'event' AS source, kind, NULL AS channel, citizen_id AS target, attempts, "
        "last_error, created_at FROM outbox_event WHERE status = 'dead' "
        "UNION ALL "
        "SELECT d.id, 'delivery' AS source, e.kind, d.channel, d.target, d.attempts, "
        "d.last_error, d.created_at "
        "FROM notification_delivery d JOIN outbox_event e ON e.id = d.event_id "
        "WHERE d.status = 'dead') AS dead "
        "WHERE created_at < {} OR (created_at = {} AND id < {}) "
        "ORDER BY created_at DESC, id DESC LIMIT {}",
        at,
        at,
        last_id,
        limit + 1,
    )
    next_cursor = _next_cursor(rows, limit)
    items = [
        DeadLetter(
            id=row["id"],
            source=row["source"],
            kind=row["kind"],
            channel=row["channel"],
            target=row["target"],
            attempts=int(row["attempts"]),
            last_error=row["last_error"],
            created_at=utc(row["created_at"]),
        )
        for row in rows[:limit]
    ]
    return items, next_cursor


async def replay_dead_letter(actor_id: str, letter_id: str) -> Replayed:
    """Put a dead event or delivery back in the queue with a fresh count of tries (audited)."""
    from identity.service import record_audit

    async with atomic():
        event = await fetch_one(
            "UPDATE outbox_event SET status = 'pending', attempts = 0, next_attempt_at = {} "
            "WHERE id = {} AND status = 'dead' RETURNING id",
            now(),
            letter_id,
        )
        if event is not None:
            enqueue_after_commit(DISPATCH_TASK, event_id=letter_id)
        else:
            found = await fetch_one(
                "SELECT status FROM notification_delivery WHERE id = {}", letter_id
            )
            if found is None or found["status"] != "dead":
                raise NotFound("No such dead letter.")
            await delivery.replay(letter_id)
        await record_audit(actor_id, "notifications.replay", letter_id)
    return Replayed(id=letter_id, status="pending")


# The developer's view of their app's webhooks ----------------------------------------------


async def owned_app_slug(app_id: str, citizen_id: str) -> str:
    """The slug of `app_id`, if `citizen_id` develops it; 404 for unknown and someone else's
    alike, so that app ids cannot be probed."""
    owner = await apps.app_owner(app_id)
    if owner is None:
        raise NotFound("No such app.")
    slug, developer_id = owner
    if developer_id != citizen_id:
        raise NotFound("No such app.")
    return slug


async def webhook_deliveries(
    slug: str, limit: int, cursor: str | None
) -> tuple[list[WebhookDeliveryView], str | None]:
    at, last_id = _bound(cursor)
    rows = await fetch(
        "SELECT d.id, d.event_id, e.kind, d.status, d.created_at, d.finished_at, "
        "d.next_attempt_at FROM notification_delivery d JOIN outbox_event e ON e.id = d.event_id "
        "WHERE d.channel = 'webhook' AND d.target = {} "
        "AND (d.created_at < {} OR (d.created_at = {} AND d.id < {})) "
        "ORDER BY d.created_at DESC, d.id DESC LIMIT {}",
        slug,
        at,
        at,
        last_id,
        limit + 1,
    )
    next_cursor = _next_cursor(rows, limit)
    rows = rows[:limit]
    attempts = await _attempts([row["id"] for row in rows])
    items = [
        WebhookDeliveryView(
            id=row["id"],
            event_id=row["event_id"],
            type=row["kind"],
            status=row["status"],
            attempts=attempts.get(row["id"], []),
            created_at=utc(row["created_at"]),
            finished_at=utc(row["finished_at"]) if row["finished_at"] is not None else None,
            next_attempt_at=utc(row["next_attempt_at"]) if row["status"] == "pending" else None,
        )
        for row in rows
    ]
    return items, next_cursor


async def _attempts(delivery_ids: list[str]) -> dict[str, list[DeliveryAttemptView]]:
    found: dict[str, list[DeliveryAttemptView]] = {}
    for delivery_id in delivery_ids:
        rows: list[dict[str, Any]] = await fetch(
            "SELECT attempted_at, status_code, error, duration_ms "
            "FROM notification_delivery_attempt WHERE delivery_id = {} ORDER BY id",
            delivery_id,
        )
        found[delivery_id] = [
            DeliveryAttemptView(
                attempted_at=utc(row["attempted_at"]),
                status_code=row["status_code"],
                error=row["error"],
                duration_ms=int(row["duration_ms"]),
            )
            for row in rows
        ]
    return found


async def replay_webhook(slug: str, delivery_id: str) -> Replayed:
    row = await fetch_one(
        "SELECT status FROM notification_delivery "
        "WHERE id = {} AND channel = 'webhook' AND target = {}",
        delivery_id,
        slug,
    )
    if row is None:
        raise NotFound("No such webhook delivery.")
    if not await delivery.replay(delivery_id):
        raise NothingToReplay("This delivery is still being tried; wait for it to finish.")
    return Replayed(id=delivery_id, status="pending")

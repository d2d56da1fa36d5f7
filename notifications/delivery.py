"""Sending one delivery (an event on SMS, push or a webhook), with its attempt log.

A delivery is claimed with a lease (a conditional UPDATE moving `next_attempt_at` past the
job timeout), so two workers never send it at once and a worker killed mid-send leaves it
to be retried when the lease runs out. Each try is logged; a retriable failure is queued
again after a backoff, and after the last try the delivery is a dead letter.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from app import metrics
from app.database import atomic, fetch, fetch_one
from app.jobs import enqueue_after_commit
from app.security import get_keyring
from app.sms import get_sms_sender
from notifications import apps, webhooks
from notifications._util import load_data, now, short_error, utc
from notifications.config import backoff, get_config
from notifications.push import InvalidPushToken, get_push_sender
from notifications.webhooks import Outcome

log = logging.getLogger("citybrain.notifications")

DELIVER_TASK = "notifications.tasks.deliver"


async def deliver(delivery_id: str) -> bool:
    """Make one try of a due delivery; False when it was not due or someone else holds it."""
    config = get_config()
    at = now()
    async with atomic():
        claimed = await fetch_one(
            "UPDATE notification_delivery SET attempts = attempts + 1, next_attempt_at = {} "
            "WHERE id = {} AND status = 'pending' AND next_attempt_at <= {} RETURNING *",
            at + timedelta(seconds=config.lease_seconds),
            delivery_id,
            at,
        )
    if claimed is None:
        return False
    event = await fetch_one("SELECT * FROM outbox_event WHERE id = {}", claimed["event_id"])
    started = time.monotonic()
    if event is None:
        outcome = Outcome(ok=False, retry=False, error="event missing")
    else:
        try:
            outcome = await _send(claimed["channel"], claimed["target"], event)
        except Exception as exc:
            log.exception("delivery %s failed", delivery_id)
            outcome = Outcome(ok=False, retry=True, error=short_error(exc))
    await _record(claimed, outcome, int((time.monotonic() - started) * 1000))
    return True


async def _send(channel: str, target: str, event: dict[str, Any]) -> Outcome:
    if channel == "webhook":
        return await _send_webhook(target, event)
    if channel == "sms":
        return await _send_sms(target, event)
    if channel == "push":
        return await _send_push(target, event)
    if channel == "app":
        return await _send_in_process(target, event)
    return Outcome(ok=False, retry=False, error=f"unknown channel {channel}")


async def _send_webhook(slug: str, event: dict[str, Any]) -> Outcome:
    endpoint = await apps.webhook_endpoint(slug)
    if endpoint is None:
        return Outcome(ok=False, retry=False, error="the app has no webhook endpoint")
    url, secret = endpoint
    body = webhooks.payload(
        event["id"], event["kind"], utc(event["created_at"]), load_data(event["data"])
    )
    return await webhooks.post(url, secret, body, get_config().webhook_timeout)


async def _send_in_process(slug: str, event: dict[str, Any]) -> Outcome:
    handled = await apps.deliver_in_process(
        slug, event["id"], event["kind"], utc(event["created_at"]), load_data(event["data"])
    )
    if not handled:
        return Outcome(ok=False, retry=False, error="the app no longer handles this event")
    return Outcome(ok=True, retry=False)


async def _send_sms(citizen_id: str, event: dict[str, Any]) -> Outcome:
    phone = await _citizen_phone(citizen_id)
    if phone is None:
        return Outcome(ok=False, retry=False, error="no phone number")
    await get_sms_sender().send(phone, f"【城市大脑】{event['title']}：{event['body']}")
    return Outcome(ok=True, retry=False)


async def _citizen_phone(citizen_id: str) -> str | None:
    from identity import service as identity_service

    return await identity_service.citizen_phone(citizen_id)


async def _send_push(citizen_id: str, event: dict[str, Any]) -> Outcome:
    devices = await fetch(
        "SELECT id, platform, token_sealed FROM push_device WHERE citizen_id = {}", citizen_id
    )
    if not devices:
        return Outcome(ok=False, retry=False, error="no registered device")
    sender, keyring = get_push_sender(), get_keyring()
    data = {"notification_id": event["id"], "kind": event["kind"]}
    reached = 0
    for device in devices:
        token = keyring.open_text(device["token_sealed"], "push-token")
        try:
            await sender.send(token, device["platform"], event["title"], event["body"], data)
            reached += 1
        except InvalidPushToken:
            async with atomic():
                await fetch("DELETE FROM push_device WHERE id = {}", device["id"])
    if reached:
        return Outcome(ok=True, retry=False)
    return Outcome(ok=False, retry=False, error="every device token was refused")


async def _record(claimed: dict[str, Any], outcome: Outcome, duration_ms: int) -> None:
    config = get_config()
    attempts = int(claimed["attempts"])
    at = now()
    if outcome.ok:
        status, due = "sent", None
    elif not outcome.retry:
        status, due = "failed", None
    elif attempts >= config.max_tries:
        status, due = "dead", None
    else:
        status, due = "pending", at + backoff(attempts)
    async with atomic():
        await fetch(
            "INSERT INTO notification_delivery_attempt "
            "(delivery_id, attempted_at, status_code, error, duration_ms) "
            "VALUES ({}, {}, {}, {}, {})",
            claimed["id"],
            at,
            outcome.status_code,
            outcome.error,
            duration_ms,
        )
        updated = await fetch(
            "UPDATE notification_delivery SET status = {}, next_attempt_at = {}, "
            "last_error = {}, finished_at = {} "
            "WHERE id = {} AND status = 'pending' AND attempts = {} RETURNING id",
            status,
            due or at,
            outcome.error,
            None if due else at,
            claimed["id"],
            attempts,
        )
        if updated and due is not None:
            enqueue_after_commit(
                DELIVER_TASK, defer_by=(due - at).total_seconds(), delivery_id=claimed["id"]
            )
    if updated:
        metrics.DELIVERIES.labels(claimed["channel"], "retry" if due else status).inc()


async def replay(delivery_id: str) -> bool:
    """Send a finished delivery again from a fresh count of tries; False if it is pending."""
    async with atomic():
        row = await fetch_one(
            "UPDATE notification_delivery SET status = 'pending', attempts = 0, "
            "next_attempt_at = {}, finished_at = NULL "
            "WHERE id = {} AND status <> 'pending' RETURNING id",
            now(),
            delivery_id,
        )
        if row is None:
            return False
        enqueue_after_commit(DELIVER_TASK, delivery_id=delivery_id)
    return True

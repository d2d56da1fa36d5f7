"""Notification tables. Only the notifications package queries them.

Citizen and mini-app references are plain strings, not foreign keys: events outlive
nothing they point at, and the outbox must accept a write from any domain's transaction.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxEvent(Table, tablename="outbox_event"):
    """One published event, written in the transaction of the change it announces."""

    id = Varchar(length=36, primary_key=True)
    kind = Varchar(length=60, null=False)
    citizen_id = Varchar(length=36, null=True, default=None, index=True)
    miniapp = Varchar(length=64, null=True, default=None)
    title = Varchar(length=200, null=False)
    body = Text(null=False)
    data = Text(null=False, default="{}")  # JSON object
    urgent = Boolean(null=False, default=False)
    status = Varchar(length=12, null=False, default="pending", index=True)  # pending|done|dead
    attempts = Integer(null=False, default=0)
    next_attempt_at = Timestamptz(null=False, index=True)
    last_error = Varchar(length=300, null=True, default=None)
    created_at = Timestamptz(null=False)
    dispatched_at = Timestamptz(null=True, default=None)


class InboxNotification(Table, tablename="inbox_notification"):
    """A citizen's in-app notification; `id` is the event id, so delivery is idempotent."""

    seq = Serial(primary_key=True)  # insertion order: the stream resumes after a seq
    id = Varchar(length=36, null=False, unique=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    kind = Varchar(length=60, null=False)
    title = Varchar(length=200, null=False)
    body = Text(null=False)
    miniapp = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(null=False)
    read_at = Timestamptz(null=True, default=None)


class Delivery(Table, tablename="notification_delivery"):
    """One event sent on one outside channel (sms, push, webhook), retried with backoff."""

    id = Varchar(length=36, primary_key=True)
    event_id = Varchar(length=36, null=False, index=True)
    channel = Varchar(length=10, null=False)  # sms | push | webhook
    target = Varchar(length=64, null=False, default="")  # citizen id or mini-app slug
    dedupe_key = Varchar(length=120, null=False, unique=True)  # "<event>:<channel>:<target>"
    status = Varchar(length=12, null=False, default="pending", index=True)
    # pending | sent | failed (refused, not retried) | dead (out of tries)
    attempts = Integer(null=False, default=0)
    next_attempt_at = Timestamptz(null=False, index=True)
    last_error = Varchar(length=300, null=True, default=None)
    created_at = Timestamptz(null=False)
    finished_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table, tablename="notification_delivery_attempt"):
    """The log of every try of a delivery (what a webhook receiver answered, and when)."""

    id = Serial(primary_key=True)
    delivery_id = Varchar(length=36, null=False, index=True)
    attempted_at = Timestamptz(null=False)
    status_code = Integer(null=True, default=None)
    error = Varchar(length=300, null=True, default=None)
    duration_ms = Integer(null=False, default=0)


class Subscription(Table, tablename="notification_subscription"):
    """A citizen's consent to one template of one mini-app, once or standing."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    miniapp = Varchar(length=64, null=False)
    template = Varchar(length=64, null=False)
    mode = Varchar(length=10, null=False, default="standing")  # one_time | standing
    key = Varchar(length=180, null=False, unique=True)  # "<citizen>:<app>:<template>"
    created_at = Timestamptz(null=False)


class PushDevice(Table, tablename="push_device"):
    """A device token the citizen's app registered; kept sealed, found by keyed hash."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    platform = Varchar(length=10, null=False)  # ios | android | harmony
    token_hash = Varchar(length=64, null=False, unique=True)
    token_sealed = Text(null=False)
    created_at = Timestamptz(null=False)

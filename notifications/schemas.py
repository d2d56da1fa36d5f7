"""Request and response bodies of the notification endpoints (API.md "Notifications")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Template = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_.\-]+$(?!\n)")
]
SubscriptionMode = Literal["one_time", "standing"]


class Notification(msgspec.Struct):
    id: str
    kind: str
    title: str
    body: str
    miniapp: str | None
    created_at: datetime
    read_at: datetime | None


class SubscribeRequest(msgspec.Struct, forbid_unknown_fields=True):
    templates: Annotated[list[Template], msgspec.Meta(min_length=1, max_length=20)]
    # one_time: the app may send each template once; standing: until the citizen cancels.
    mode: SubscriptionMode = "standing"


class Subscribed(msgspec.Struct):
    slug: str
    templates: list[str]
    mode: SubscriptionMode


class SubscriptionView(msgspec.Struct):
    slug: str
    template: str
    mode: SubscriptionMode
    created_at: datetime


class PushDeviceRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=8, max_length=4096)]
    platform: Literal["ios", "android", "harmony"]


class PushDeviceView(msgspec.Struct):
    id: str
    platform: str
    created_at: datetime


class DeliveryAttemptView(msgspec.Struct):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDeliveryView(msgspec.Struct):
    id: str
    event_id: str
    type: str
    status: str  # pending | sent | failed | dead
    attempts: list[DeliveryAttemptView]
    created_at: datetime
    finished_at: datetime | None
    next_attempt_at: datetime | None


class DeadLetter(msgspec.Struct):
    id: str
    source: Literal["event", "delivery"]
    kind: str
    channel: str | None  # sms | push | webhook for a delivery
    target: str | None  # the citizen or mini-app it was for
    attempts: int
    last_error: str | None
    created_at: datetime


class Replayed(msgspec.Struct):
    id: str
    status: str

"""Thin HTTP controllers: the inbox and its stream, subscriptions, push devices, dead letters
and the developer's webhook log. The ChannelsPlugin behind the stream is exported in
`plugins` for app.domains to install."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import ServerSentEvent

from app.errors import NotFound, ValidationFailed
from app.pagination import CursorParam, LimitParam, Page
from identity.auth import CitizenPrincipal, citizen_dependency, platform_admin_dependency
from notifications import admin as admin_service
from notifications import devices, inbox, outbox, subscriptions
from notifications.errors import NothingToReplay
from notifications.schemas import (
    DeadLetter,
    Notification,
    PushDeviceRequest,
    PushDeviceView,
    Replayed,
    Subscribed,
    SubscribeRequest,
    SubscriptionView,
    WebhookDeliveryView,
)
from notifications.stream import channels_plugin, notification_events

LastEventId = Annotated[str | None, HeaderParameter(name="Last-Event-ID", max_length=64)]


class InboxController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    dependencies = citizen_dependency

    @get("", summary="The citizen's notifications, newest first")
    async def list_notifications(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[Notification]:
        items, next_cursor = await inbox.list_inbox(citizen.citizen_id, limit, cursor)
        return Page(items, next_cursor)

    @post("/{notification_id:str}/read", status_code=204, summary="Mark a notification read")
    async def read(
        self, citizen: NamedDependency[CitizenPrincipal], notification_id: FromPath[str]
    ) -> None:
        await inbox.mark_read(citizen.citizen_id, notification_id)

    @get(
        "/stream",
        media_type="text/event-stream",
        summary="New notifications as server-sent events",
        description=(
            "Each event is `event: notification`, `id: <notification id>`, `data: <the "
            "notification as JSON>`. Send `Last-Event-ID` to resume after that notification. "
            "Comments keep the connection alive; the stream ends when the login is revoked."
        ),
    )
    async def stream(
        self, citizen: NamedDependency[CitizenPrincipal], last_event_id: LastEventId = None
    ) -> ServerSentEvent:
        events = notification_events(citizen.citizen_id, citizen.session_id, last_event_id)
        # no-store: never cached; X-Accel-Buffering: a proxy such as nginx must not buffer.
        return ServerSentEvent(
            events, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )


class SubscribeController(Controller):
    path = "/api/v1/miniapps"
    tags = ["notifications"]
    dependencies = citizen_dependency

    @post(
        "/{slug:str}/subscriptions",
        status_code=201,
        summary="Let a mini-app send these notification templates",
        opt={"problems": [ValidationFailed]},
    )
    async def subscribe(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        slug: FromPath[str],
        data: JSONBody[SubscribeRequest],
    ) -> Subscribed:
        return await subscriptions.subscribe(citizen.citizen_id, slug, data.templates, data.mode)


class MySubscriptionsController(Controller):
    path = "/api/v1/me"
    tags = ["notifications"]
    dependencies = citizen_dependency

    @get("/subscriptions", summary="The templates the citizen lets mini-apps send")
    async def list_subscriptions(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[SubscriptionView]:
        items, next_cursor = await subscriptions.list_subscriptions(
            citizen.citizen_id, limit, cursor
        )
        return Page(items, next_cursor)

    @delete("/subscriptions/{slug:str}", status_code=204, summary="Cancel all of an app's")
    async def cancel_app(
        self, citizen: NamedDependency[CitizenPrincipal], slug: FromPath[str]
    ) -> None:
        await subscriptions.cancel(citizen.citizen_id, slug)

    @delete(
        "/subscriptions/{slug:str}/{template:str}", status_code=204, summary="Cancel one template"
    )
    async def cancel_template(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        slug: FromPath[str],
        template: FromPath[str],
    ) -> None:
        await subscriptions.cancel(citizen.citizen_id, slug, template)

    @post("/push-devices", status_code=201, summary="Register this device for push")
    async def register_device(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[PushDeviceRequest]
    ) -> PushDeviceView:
        return await devices.register(citizen.citizen_id, data.token, data.platform)

    @get("/push-devices", summary="The citizen's devices registered for push")
    async def list_devices(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[PushDeviceView]:
        items, next_cursor = await devices.list_devices(citizen.citizen_id, limit, cursor)
        return Page(items, next_cursor)

    @delete("/push-devices/{device_id:str}", status_code=204, summary="Stop push to a device")
    async def remove_device(
        self, citizen: NamedDependency[CitizenPrincipal], device_id: FromPath[str]
    ) -> None:
        await devices.remove(citizen.citizen_id, device_id)


class DeadLetterController(Controller):
    path = "/api/v1/admin/dead-letters"
    tags = ["admin"]
    dependencies = platform_admin_dependency

    @get("", summary="Events and deliveries that ran out of tries")
    async def list_dead_letters(
        self,
        admin: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[DeadLetter]:
        items, next_cursor = await admin_service.dead_letters(limit, cursor)
        return Page(items, next_cursor)

    @post("/{letter_id:str}/replay", status_code=202, summary="Try a dead letter again")
    async def replay(
        self, admin: NamedDependency[CitizenPrincipal], letter_id: FromPath[str]
    ) -> Replayed:
        return await admin_service.replay_dead_letter(admin.citizen_id, letter_id)


class WebhookLogController(Controller):
    path = "/api/v1/developer/apps/{app_id:str}/webhook-deliveries"
    tags = ["developer"]
    dependencies = citizen_dependency
    opt = {"problems": [NotFound]}

    @get("", summary="The app's webhook deliveries with every attempt")
    async def list_deliveries(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        app_id: FromPath[str],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[WebhookDeliveryView]:
        slug = await admin_service.owned_app_slug(app_id, citizen.citizen_id)
        items, next_cursor = await admin_service.webhook_deliveries(slug, limit, cursor)
        return Page(items, next_cursor)

    @post(
        "/{delivery_id:str}/replay",
        status_code=202,
        summary="Send a webhook delivery again",
        opt={"problems": [NothingToReplay]},
    )
    async def replay(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        app_id: FromPath[str],
        delivery_id: FromPath[str],
    ) -> Replayed:
        slug = await admin_service.owned_app_slug(app_id, citizen.citizen_id)
        return await admin_service.replay_webhook(slug, delivery_id)


route_handlers: list[Any] = [
    InboxController,
    SubscribeController,
    MySubscriptionsController,
    DeadLetterController,
    WebhookLogController,
]
plugins: list[Any] = [channels_plugin]
on_metrics = [outbox.refresh_metrics]  # app.metrics: run before each /metrics scrape

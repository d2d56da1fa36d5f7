"""What notifications needs to know about mini-apps, from miniapps.service (imported lazily:
the two domains call each other, and neither may import the other at start-up)."""

from __future__ import annotations

from typing import Any


async def app_templates(slug: str) -> list[str] | None:
    """The notification templates an app declared; None for an unknown app."""
    from miniapps import service

    templates: list[str] | None = await service.app_templates(slug)
    return templates


async def webhook_endpoint(slug: str) -> tuple[str, str] | None:
    """(url, webhook secret) of an external app with a webhook URL; None otherwise."""
    from miniapps import service

    endpoint: tuple[str, str] | None = await service.webhook_endpoint(slug)
    return endpoint


async def app_owner(app_id: str) -> tuple[str, str] | None:
    """(slug, developer's citizen id) of an external app; None for an unknown app."""
    from miniapps import service

    owner: tuple[str, str] | None = await service.app_owner(app_id)
    return owner


def in_process_handles(slug: str, kind: str) -> bool:
    """True when an in-process mini-app has a handler for this event kind."""
    from miniapps.registry import get_registry

    loaded = get_registry().apps.get(slug)
    return loaded is not None and kind in loaded.app.event_handlers


async def deliver_in_process(
    slug: str, event_id: str, kind: str, created_at: Any, data: Any
) -> bool:
    """Run an in-process app's handler for an event: the in-process twin of a webhook."""
    from miniapps.registry import get_registry

    handled: bool = await get_registry().deliver_event(
        slug, event_id=event_id, kind=kind, created_at=created_at, data=data
    )
    return handled

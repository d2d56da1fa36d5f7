"""What notifications needs to know about mini-apps, from miniapps.service (imported lazily:
the two domains call each other, and neither may import the other at start-up)."""

from __future__ import annotations


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

"""Which mini-app may notify which citizen, with which template, and sending with one.

A subscription is per citizen, per app, per template: `standing` until the citizen cancels
it, or `one_time`, consumed by the first message sent with it.
"""

from __future__ import annotations

import logging
from typing import Any

from app.database import atomic, fetch, fetch_one
from app.errors import FieldError, NotFound, RateLimited, ValidationFailed
from app.pagination import decode_cursor, encode_cursor
from app.ratelimit import get_limiter
from app.security import new_id
from notifications import apps, outbox
from notifications._util import now, utc
from notifications.config import get_config
from notifications.errors import NotSubscribed
from notifications.schemas import Subscribed, SubscriptionMode, SubscriptionView

log = logging.getLogger("citybrain.notifications")


async def _declared_templates(slug: str) -> list[str]:
    templates = await apps.app_templates(slug)
    if templates is None:
        raise NotFound("No such mini-app.")
    return templates


def _key(citizen_id: str, slug: str, template: str) -> str:
    return f"{citizen_id}:{slug}:{template}"


async def subscribe(
    citizen_id: str, slug: str, templates: list[str], mode: SubscriptionMode
) -> Subscribed:
    declared = set(await _declared_templates(slug))
    wanted = list(dict.fromkeys(templates))
    unknown = [
        FieldError(field=f"templates[{i}]", message=f"{slug} declares no template {t!r}")
        for i, t in enumerate(templates)
        if t not in declared
    ]
    if unknown:
        raise ValidationFailed("Subscribe only to templates the app declares.", errors=unknown)
    async with atomic():
        for template in wanted:
            await fetch(
                "INSERT INTO notification_subscription "
                "(id, citizen_id, miniapp, template, mode, key, created_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}) "
                "ON CONFLICT (key) DO UPDATE SET mode = EXCLUDED.mode",
                new_id(),
                citizen_id,
                slug,
                template,
                mode,
                _key(citizen_id, slug, template),
                now(),
            )
    return Subscribed(slug=slug, templates=wanted, mode=mode)


async def list_subscriptions(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[SubscriptionView], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT key, miniapp, template, mode, created_at FROM notification_subscription "
        "WHERE citizen_id = {} AND key > {} ORDER BY key LIMIT {}",
        citizen_id,
        str(after[0]) if after else "",
        limit + 1,
    )
    next_cursor = encode_cursor(rows[limit - 1]["key"]) if len(rows) > limit else None
    items = [
        SubscriptionView(
            slug=row["miniapp"],
            template=row["template"],
            mode=row["mode"],
            created_at=utc(row["created_at"]),
        )
        for row in rows[:limit]
    ]
    return items, next_cursor


async def cancel(citizen_id: str, slug: str, template: str | None = None) -> None:
    """Cancel one template, or every template of the app; 404 when there was none."""
    async with atomic():
        if template is None:
            rows = await fetch(
                "DELETE FROM notification_subscription WHERE citizen_id = {} AND miniapp = {} "
                "RETURNING id",
                citizen_id,
                slug,
            )
        else:
            rows = await fetch(
                "DELETE FROM notification_subscription WHERE key = {} RETURNING id",
                _key(citizen_id, slug, template),
            )
    if not rows:
        raise NotFound("No such subscription.")


async def send_from_app(miniapp: str, citizen_id: str, template: str, data: dict[str, Any]) -> str:
    """See `notifications.outbox.send_from_app`."""
    try:
        await get_limiter().check(f"notify-send:{miniapp}", get_config().app_send_limit, 60)
    except RateLimited:
        raise
    except Exception as exc:  # the shared counter (Redis) is down: do not block messages
        log.warning("send rate limit unavailable (%s)", type(exc).__name__)
    async with atomic():
        row = await fetch_one(
            "SELECT id, mode FROM notification_subscription WHERE key = {}",
            _key(citizen_id, miniapp, template),
        )
        if row is None:
            raise NotSubscribed(f"The citizen has not subscribed to {template!r} of {miniapp}.")
        if row["mode"] == "one_time":
            await fetch("DELETE FROM notification_subscription WHERE id = {}", row["id"])
        return await outbox.publish(
            f"miniapp.{template}",
            citizen_id=citizen_id,
            title=str(data.get("title") or template)[:200],
            body=_render_body(data),
            miniapp=miniapp,
            data={"template": template, **data},
        )


def _render_body(data: dict[str, Any]) -> str:
    if isinstance(data.get("body"), str):
        return str(data["body"])[:2000]
    shown = [f"{key}: {value}" for key, value in data.items() if key != "title"]
    return "; ".join(shown)[:2000]

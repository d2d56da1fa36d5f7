"""Telling the citizen their application moved: the `services.status` template.

Only to a citizen who granted `notify.send` and subscribed to the template; otherwise the
status they follow in the app is the whole story (the notice is not the record). The notice
is published in the same transaction as the move (the platform's outbox) and names no
personal data: the bundle, the step and the new status.
"""

from __future__ import annotations

from miniapps.sdk import MiniAppContext, NotSubscribed, RateLimited, ScopeRequired

TEMPLATE = "services.status"


async def tell(
    citizen: MiniAppContext, application_id: str, title: str, body: str, status: str
) -> None:
    if "notify.send" not in citizen.scopes:
        return
    try:
        await citizen.notify.send(
            TEMPLATE,
            {"title": title, "body": body, "application_id": application_id, "status": status},
        )
    except (NotSubscribed, RateLimited, ScopeRequired):
        return

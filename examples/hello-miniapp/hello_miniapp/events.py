"""Platform events for hello: when a citizen revokes its grant, it forgets them."""

from __future__ import annotations

from hello_miniapp.visits import forget
from miniapps.sdk import AppEvent, MiniAppContext


async def forget_visitor(ctx: MiniAppContext, event: AppEvent) -> None:
    openid = event.data.get("openid")
    if isinstance(openid, str):
        await forget(openid)

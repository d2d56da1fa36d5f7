"""Platform events for hotel: a lapsed hold closes the reservation it guaranteed."""

from __future__ import annotations

from miniapps.hotel.reservations import hold_expired
from miniapps.sdk import AppEvent, MiniAppContext


async def on_hold_expired(ctx: MiniAppContext, event: AppEvent) -> None:
    hold_id = event.data.get("hold_id")
    if isinstance(hold_id, str):
        await hold_expired(hold_id)

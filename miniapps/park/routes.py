"""Park's HTTP routes, mounted under /api/v1/miniapps/park.

Turnstiles (gates of park venues) keep the park's ticket price and time slots and admit
visitors by their code in one call. Citizens reserve a place in a slot and cancel.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from miniapps.park import catalogue, visits
from miniapps.park.errors import (
    AlreadyEntered,
    AlreadyReserved,
    ColourNotGreen,
    NoSlotNow,
    ParkNotSetUp,
    ReservationNotOpen,
    SlotClosed,
    SlotFull,
)
from miniapps.park.schemas import (
    EntryIn,
    EntryOut,
    ParkIn,
    ParkOut,
    ReservationOut,
    ReserveIn,
    SlotIn,
    SlotOut,
)
from miniapps.sdk import (
    SCAN_PROBLEMS,
    Conflict,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    Page,
    Unauthorized,
    idempotent,
)

Ctx = NamedDependency[MiniAppContext]
# Open to anyone: no token needed (OpenAPI: an empty security requirement).
PUBLIC: list[dict[str, list[str]]] = [{}]
_DESK = (ParkNotSetUp,)
TURNSTILE = "Call with the gate token of one of the park's turnstiles."


class ParksController(Controller):
    path = "/parks"

    @get("", summary="Parks and their ticket price (0: free)", security=PUBLIC)
    async def parks(self, limit: LimitParam = 50, cursor: CursorParam = None) -> Page[ParkOut]:
        items, next_cursor = await catalogue.list_parks(limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/{park_id:str}/slots",
        summary="A park's time slots on a day (Asia/Shanghai; today by default), with places left",
        security=PUBLIC,
    )
    async def slots(
        self, park_id: FromPath[str], day: FromQuery[date | None] = None
    ) -> list[SlotOut]:
        return await catalogue.slots_of(park_id, day)


class ParkDeskController(Controller):
    """The park's turnstiles keep its profile and time slots."""

    path = "/park"
    opt = {"problems": _DESK}

    @get("", summary="Turnstile: its park")
    async def profile(self, ctx: Ctx) -> ParkOut:
        return await catalogue.park_profile(ctx.require_device(TURNSTILE).venue_id)

    @put("", summary="Turnstile: set the park's name and ticket price (0: free)")
    async def save(self, ctx: Ctx, data: JSONBody[ParkIn]) -> ParkOut:
        return await catalogue.save_park(ctx.require_device(TURNSTILE).venue_id, data)

    @post(
        "/slots",
        status_code=201,
        summary="Turnstile: open a time slot with its capacity",
        opt={"problems": (Conflict,)},
    )
    async def add_slot(self, ctx: Ctx, data: JSONBody[SlotIn]) -> SlotOut:
        return await catalogue.add_slot(ctx.require_device(TURNSTILE).venue_id, data)

    @get("/entries", summary="Turnstile: the park's entries, newest first")
    async def entries(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[EntryOut]:
        items, next_cursor = await visits.entries_at(
            ctx.require_device(TURNSTILE).venue_id, limit, cursor
        )
        return Page(items, next_cursor)


class ReservationsController(Controller):
    path = "/reservations"

    @post(
        "",
        status_code=201,
        summary="Reserve a place in a time slot (never oversold)",
        opt={"problems": (SlotFull, SlotClosed, AlreadyReserved)},
    )
    async def reserve(self, ctx: Ctx, data: JSONBody[ReserveIn]) -> ReservationOut:
        return await visits.reserve(ctx.require_citizen(), data.slot_id)

    @get("", summary="The citizen's reservations and entries, newest first")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[ReservationOut]:
        items, next_cursor = await visits.reservations_of(ctx.require_citizen(), limit, cursor)
        return Page(items, next_cursor)

    @post(
        "/{reservation_id:str}/cancel",
        status_code=200,
        summary="Cancel a reservation: the place goes back to the slot",
        opt={"problems": (ReservationNotOpen, SlotClosed)},
    )
    async def cancel(self, ctx: Ctx, reservation_id: FromPath[str]) -> ReservationOut:
        return await visits.cancel(ctx.require_citizen(), reservation_id)


@post(
    "/entries",
    status_code=201,
    summary="Turnstile: the 20-second entry by the visitor's code",
    description="One call: a green code; the visitor's reservation for a slot open now, or a "
    "walk-in place while capacity remains; the ticket charged to the credit wallet (unless "
    "free); the entry recorded. Needs an `Idempotency-Key`.",
    opt={
        "problems": (
            *_DESK,
            *SCAN_PROBLEMS,
            ColourNotGreen,
            NoSlotNow,
            SlotFull,
            AlreadyEntered,
        )
    },
)
async def enter(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    data: JSONBody[EntryIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[EntryOut]:
    device = ctx.require_device(TURNSTILE)

    async def run() -> EntryOut:
        return await visits.enter(device, data.code)

    return await idempotent(
        request,
        scope=f"miniapp:park:gate:{device.gate_id}",
        key=idempotency_key,
        required=True,
        status_code=201,
        run=run,
    )


router = Router(
    path="/",
    # Any call may carry a bad token (401) or a gate of another kind of venue (403).
    opt={"problems": (Unauthorized, Forbidden)},
    route_handlers=[ParksController, ParkDeskController, ReservationsController, enter],
)

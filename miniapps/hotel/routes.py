"""Hotel's HTTP routes, mounted under /api/v1/miniapps/hotel.

The front desk (a gate of a hotel venue) keeps the hotel's room types, rates and rooms,
checks guests in by their code in one call, adds extras, checks out, marks no-shows and
reads the guest register. Citizens book, cancel and see their stays.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from miniapps.hotel import catalogue, reservations, stays, views
from miniapps.hotel.common import hotel_of
from miniapps.hotel.errors import (
    AlreadyCheckedIn,
    ArrivalDayNotReached,
    ColourNotGreen,
    ExceedsIncidentals,
    HotelNotSetUp,
    NoRoomAvailable,
    ReservationExists,
    ReservationNotOpen,
    StayNotOpen,
)
from miniapps.hotel.schemas import (
    CheckInIn,
    ExtraIn,
    ExtraOut,
    GuestRecordOut,
    HotelIn,
    HotelOut,
    ReservationIn,
    ReservationOut,
    RoomIn,
    RoomOut,
    RoomTypeIn,
    RoomTypeOut,
    StayOut,
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
    ScopeRequired,
    Unauthorized,
    idempotent,
)

Ctx = NamedDependency[MiniAppContext]
# Open to anyone: no token needed (OpenAPI: an empty security requirement).
PUBLIC: list[dict[str, list[str]]] = [{}]
AnyRequest = Request[Any, Any, Any]
_DESK = (HotelNotSetUp,)
FRONT_DESK = "Call with the gate token of the hotel's front desk."


def _desk_scope(ctx: MiniAppContext) -> str:
    return f"miniapp:hotel:gate:{ctx.require_device(FRONT_DESK).gate_id}"


@get(
    "/hotels",
    summary="Hotels with their room types, nightly rates and free rooms",
    security=PUBLIC,
)
async def hotels(limit: LimitParam = 50, cursor: CursorParam = None) -> Page[HotelOut]:
    items, next_cursor = await catalogue.list_hotels(limit, cursor)
    return Page(items, next_cursor)


class HotelDeskController(Controller):
    """The front desk keeps its hotel's catalogue."""

    path = "/hotel"
    opt = {"problems": _DESK}

    @get("", summary="Front desk: its hotel, room types and free rooms")
    async def profile(self, ctx: Ctx) -> HotelOut:
        return await catalogue.hotel_profile(ctx.require_device(FRONT_DESK).venue_id)

    @put("", summary="Front desk: set the hotel's name and the incidentals held at check-in")
    async def save(self, ctx: Ctx, data: JSONBody[HotelIn]) -> HotelOut:
        return await catalogue.save_hotel(ctx.require_device(FRONT_DESK).venue_id, data)

    @post(
        "/room-types",
        status_code=201,
        summary="Front desk: add a room type with its nightly rate",
        opt={"problems": (Conflict,)},
    )
    async def add_room_type(self, ctx: Ctx, data: JSONBody[RoomTypeIn]) -> RoomTypeOut:
        return await catalogue.add_room_type(ctx.require_device(FRONT_DESK).venue_id, data)

    @post(
        "/rooms",
        status_code=201,
        summary="Front desk: add a room of a room type",
        opt={"problems": (Conflict,)},
    )
    async def add_room(self, ctx: Ctx, data: JSONBody[RoomIn]) -> RoomOut:
        return await catalogue.add_room(ctx.require_device(FRONT_DESK).venue_id, data)

    @get("/rooms", summary="Front desk: the rooms, and the stay in each")
    async def rooms(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[RoomOut]:
        items, next_cursor = await catalogue.rooms_of(
            ctx.require_device(FRONT_DESK).venue_id, limit, cursor
        )
        return Page(items, next_cursor)

    @get(
        "/register",
        summary="Front desk: the guest register (real name, ID hash, times), newest first",
    )
    async def register(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[GuestRecordOut]:
        items, next_cursor = await views.guest_register(
            ctx, ctx.require_device(FRONT_DESK).venue_id, limit, cursor
        )
        return Page(items, next_cursor)


@post(
    "/check-ins",
    status_code=201,
    summary="Front desk: the 30-second check-in by the guest's code",
    description="One call: the guest's real-name identity, a green code, a deposit-free hold "
    "of rate × nights + incidentals (or today's reservation's hold), a room assigned "
    "atomically, and the guest register. A walk-in names `room_type_id` and `nights`. "
    "Needs an `Idempotency-Key`.",
    opt={
        "problems": (
            *_DESK,
            *SCAN_PROBLEMS,
            ColourNotGreen,
            AlreadyCheckedIn,
            NoRoomAvailable,
        )
    },
)
async def check_in(
    request: AnyRequest,
    ctx: Ctx,
    data: JSONBody[CheckInIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[StayOut]:
    device = ctx.require_device(FRONT_DESK)

    async def run() -> StayOut:
        return await stays.check_in(device, data)

    return await idempotent(
        request,
        scope=_desk_scope(ctx),
        key=idempotency_key,
        required=True,
        status_code=201,
        run=run,
    )


class StaysController(Controller):
    path = "/stays"

    @get("", summary="The citizen's stays, newest first")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[StayOut]:
        items, next_cursor = await views.stays_of(ctx.require_citizen(), limit, cursor)
        return Page(items, next_cursor)

    @get("/{stay_id:str}", summary="A stay: the guest's own, or one at the desk's hotel")
    async def one(self, ctx: Ctx, stay_id: FromPath[str]) -> StayOut:
        if ctx.device is not None:
            hotel = await hotel_of(ctx.device.venue_id)
            return await views.stay(stay_id, hotel_id=hotel["id"])
        return await views.stay(stay_id, openid=ctx.require_citizen())

    @post(
        "/{stay_id:str}/extras",
        status_code=201,
        summary="Front desk: add an extra (minibar, laundry) within the incidentals held",
        description="Needs an `Idempotency-Key`.",
        opt={"problems": (*_DESK, StayNotOpen, ExceedsIncidentals)},
    )
    async def add_extra(
        self,
        request: AnyRequest,
        ctx: Ctx,
        stay_id: FromPath[str],
        data: JSONBody[ExtraIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ExtraOut]:
        device = ctx.require_device(FRONT_DESK)

        async def run() -> ExtraOut:
            return await stays.add_extra(device, stay_id, data.item, data.amount)

        return await idempotent(
            request,
            scope=_desk_scope(ctx),
            key=idempotency_key,
            required=True,
            status_code=201,
            run=run,
        )

    @post(
        "/{stay_id:str}/check-out",
        status_code=200,
        summary="Front desk: check out; the nights used and the extras are captured",
        description="The rest of the hold is released and the room freed. Needs an "
        "`Idempotency-Key`.",
        opt={"problems": (*_DESK, StayNotOpen)},
    )
    async def check_out(
        self,
        request: AnyRequest,
        ctx: Ctx,
        stay_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[StayOut]:
        device = ctx.require_device(FRONT_DESK)

        async def run() -> StayOut:
            return await stays.check_out(ctx, device, stay_id)

        return await idempotent(
            request,
            scope=_desk_scope(ctx),
            key=idempotency_key,
            required=True,
            status_code=200,
            run=run,
        )


class ReservationsController(Controller):
    path = "/reservations"

    @post(
        "",
        status_code=201,
        summary="Book a stay: rate × nights + incidentals is held on the credit line",
        description="Needs the `wallet.charge` grant and an `Idempotency-Key`.",
        opt={"problems": (ScopeRequired, ReservationExists)},
    )
    async def reserve(
        self,
        request: AnyRequest,
        ctx: Ctx,
        data: JSONBody[ReservationIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ReservationOut]:
        openid = ctx.require_citizen()
        ctx.require_scope("wallet.charge")

        async def run() -> ReservationOut:
            return await reservations.reserve(ctx, data)

        return await idempotent(
            request,
            scope=f"miniapp:hotel:{openid}",
            key=idempotency_key,
            required=True,
            status_code=201,
            run=run,
        )

    @get("", summary="The citizen's reservations, newest first")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[ReservationOut]:
        items, next_cursor = await reservations.reservations_of(
            ctx.require_citizen(), limit, cursor
        )
        return Page(items, next_cursor)

    @post(
        "/{reservation_id:str}/cancel",
        status_code=200,
        summary="Cancel a reservation: the hold is voided",
        opt={"problems": (ReservationNotOpen,)},
    )
    async def cancel(self, ctx: Ctx, reservation_id: FromPath[str]) -> ReservationOut:
        return await reservations.cancel(ctx, ctx.require_citizen(), reservation_id)

    @post(
        "/{reservation_id:str}/no-show",
        status_code=200,
        summary="Front desk: the guest did not come; the hold is voided",
        description="From the arrival day on; an hourly job marks the rest after that day.",
        opt={"problems": (*_DESK, ReservationNotOpen, ArrivalDayNotReached)},
    )
    async def no_show(self, ctx: Ctx, reservation_id: FromPath[str]) -> ReservationOut:
        hotel = await hotel_of(ctx.require_device(FRONT_DESK).venue_id)
        return await reservations.mark_no_show(ctx, hotel["id"], reservation_id)


router = Router(
    path="/",
    # Any call may carry a bad token (401) or a gate of another kind of venue (403).
    opt={"problems": (Unauthorized, Forbidden)},
    route_handlers=[
        hotels,
        HotelDeskController,
        check_in,
        StaysController,
        ReservationsController,
    ],
)

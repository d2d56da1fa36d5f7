"""Parking's HTTP routes, mounted under /api/v1/miniapps/parking.

Citizens bind plates and see their stays; a car park's own devices (gates of its venue, a
mall or another venue kind the manifest declares) set the tariff and report entries and
exits. Any 2xx answer to an entry or an exit opens the barrier; a problem keeps it closed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from miniapps.parking import car_parks, plates, stays
from miniapps.parking.errors import (
    AlreadyParked,
    CarParkNotConfigured,
    PlateInUse,
    PlateLimitReached,
    PlateNotRegistered,
    PlateTaken,
    StayNotFound,
)
from miniapps.parking.schemas import (
    CarParkOut,
    CarParkRequest,
    EntryRequest,
    ExitRequest,
    PlateOut,
    PlateRequest,
    StayOut,
)
from miniapps.sdk import (
    Conflict,
    CreditLimitExceeded,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    Page,
    RealNameRequired,
    ScopeRequired,
    Unauthorized,
    WalletSuspended,
    idempotent,
)

TAGS = ["mini-app: parking"]
# Problems each kind of caller may meet, for the OpenAPI document (`opt["problems"]`).
CALLER = (Unauthorized, Forbidden)
CAR_PARK_DEVICE = "A gate device of this car park's venue must call this."


@put(
    "/device/car-park",
    opt={"problems": CALLER},
    status_code=200,
    tags=TAGS,
    summary="The venue's device sets its car park's name and tariff",
    description="First N minutes free, then every started hour at `hourly_amount`, at most "
    "`daily_cap_amount` per 24 hours. Stays already inside keep the tariff they entered under.",
)
async def configure_car_park(
    ctx: NamedDependency[MiniAppContext], data: JSONBody[CarParkRequest]
) -> CarParkOut:
    device = ctx.require_device(CAR_PARK_DEVICE)
    return await car_parks.configure(device.venue_id, data)


@get("/car-parks", tags=TAGS, summary="Car parks and their tariffs")
async def list_car_parks(limit: LimitParam = 50, cursor: CursorParam = None) -> Page[CarParkOut]:
    items, next_cursor = await car_parks.list_car_parks(limit, cursor)
    return Page(items, next_cursor)


@get("/car-parks/{car_park_id:str}", tags=TAGS, summary="One car park and its tariff")
async def get_car_park(car_park_id: FromPath[str]) -> CarParkOut:
    return await car_parks.get(car_park_id)


@post(
    "/plates",
    opt={"problems": (*CALLER, ScopeRequired, PlateTaken, PlateLimitReached)},
    status_code=201,
    tags=TAGS,
    summary="Bind a plate: its stays are charged to the citizen's credit at exit",
    description="Needs the `wallet.charge` scope granted to parking (leave first, pay later).",
)
async def bind_plate(
    ctx: NamedDependency[MiniAppContext], data: JSONBody[PlateRequest]
) -> PlateOut:
    openid = ctx.require_citizen()
    ctx.require_scope("wallet.charge")
    return await plates.bind(openid, plates.normalise_plate(data.plate))


@get("/plates", tags=TAGS, opt={"problems": CALLER}, summary="The citizen's bound plates")
async def list_plates(
    ctx: NamedDependency[MiniAppContext], limit: LimitParam = 50, cursor: CursorParam = None
) -> Page[PlateOut]:
    items, next_cursor = await plates.list_plates(ctx.require_citizen(), limit, cursor)
    return Page(items, next_cursor)


@delete(
    "/plates/{plate:str}",
    opt={"problems": (*CALLER, PlateInUse)},
    status_code=204,
    tags=TAGS,
    summary="Unbind a plate (refused while its car is inside)",
)
async def unbind_plate(ctx: NamedDependency[MiniAppContext], plate: FromPath[str]) -> None:
    await plates.unbind(ctx.require_citizen(), plates.normalise_plate(plate))


@get(
    "/stays",
    tags=TAGS,
    opt={"problems": CALLER},
    summary="The citizen's stays, newest first, with fees",
)
async def list_stays(
    ctx: NamedDependency[MiniAppContext], limit: LimitParam = 50, cursor: CursorParam = None
) -> Page[StayOut]:
    items, next_cursor = await stays.list_stays(ctx.require_citizen(), limit, cursor)
    return Page(items, next_cursor)


@post(
    "/gate/entries",
    opt={
        "problems": (
            *CALLER,
            ScopeRequired,
            PlateNotRegistered,
            CarParkNotConfigured,
            AlreadyParked,
            RealNameRequired,
            WalletSuspended,
            CreditLimitExceeded,
        )
    },
    status_code=201,
    tags=TAGS,
    summary="An entry barrier read a plate: open only for an active wallet",
    description="The plate must be bound and its owner's wallet active (real-name, not "
    "suspended, credit left): else 404 plate_not_registered, 402 wallet_suspended, 403 "
    "real_name_required, 403 scope_required or 402 credit_limit_exceeded, and the barrier "
    "stays closed. Reading the same car again answers the same stay. Idempotency-Key accepted.",
    responses={201: ResponseSpec(data_container=StayOut, description="The stay; open")},
)
async def gate_entry(
    request: Request[Any, Any, Any],
    ctx: NamedDependency[MiniAppContext],
    data: JSONBody[EntryRequest],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    device = ctx.require_device(CAR_PARK_DEVICE)
    plate = plates.normalise_plate(data.plate)
    car_park = await car_parks.find(device.venue_id)
    if car_park is None:
        raise CarParkNotConfigured("Set this venue's tariff (PUT device/car-park) first.")
    openid = await plates.owner(plate)
    if openid is None:
        raise PlateNotRegistered("No City Brain account pays for this plate: take a ticket.")
    await (await ctx.for_openid(openid)).wallet.require_active()

    async def run() -> StayOut:
        return await stays.record_entry(car_park, plate, openid, device.gate_id)

    return await idempotent(
        request,
        scope=f"miniapp:parking:gate:{device.gate_id}",
        key=idempotency_key,
        required=False,
        status_code=201,
        run=run,
    )


@post(
    "/gate/exits",
    opt={"problems": (*CALLER, StayNotFound, Conflict, WalletSuspended, CreditLimitExceeded)},
    status_code=200,
    tags=TAGS,
    summary="An exit barrier read a plate: the fee is charged to credit (Idempotency-Key)",
    description="Closes the plate's stay at this car park and charges the fee to the "
    "owner's credit wallet; with `settle: booth` the driver paid at the booth and nothing is "
    "charged. A refused charge (402) leaves the stay open and the barrier closed.",
    responses={200: ResponseSpec(data_container=StayOut, description="The closed stay")},
)
async def gate_exit(
    request: Request[Any, Any, Any],
    ctx: NamedDependency[MiniAppContext],
    data: JSONBody[ExitRequest],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    device = ctx.require_device(CAR_PARK_DEVICE)
    plate = plates.normalise_plate(data.plate)

    async def run() -> StayOut:
        return await stays.record_exit(ctx, device.venue_id, plate, device.gate_id, data.settle)

    return await idempotent(
        request,
        scope=f"miniapp:parking:gate:{device.gate_id}",
        key=idempotency_key,
        required=True,
        status_code=200,
        run=run,
    )


router = Router(
    path="/",
    route_handlers=[
        configure_car_park,
        list_car_parks,
        get_car_park,
        bind_plate,
        list_plates,
        unbind_plate,
        list_stays,
        gate_entry,
        gate_exit,
    ],
)

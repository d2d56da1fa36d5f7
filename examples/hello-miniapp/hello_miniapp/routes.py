"""Hello's HTTP routes; the platform mounts them under /api/v1/miniapps/hello."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from hello_miniapp.visits import count_visit, visits_of
from miniapps.sdk import (
    IDEMPOTENCY_PROBLEMS,
    NOTIFY_PROBLEMS,
    TOKEN_OPTIONAL,
    WALLET_PROBLEMS,
    ChargeOut,
    IdempotencyKeyHeader,
    MiniAppContext,
    ScopeRequired,
    idempotent,
)


class Greeting(msgspec.Struct):
    message: str
    signed_in: bool


class Visitor(msgspec.Struct):
    openid: str
    name_masked: str | None
    visits: int


class Colour(msgspec.Struct):
    colour: str | None


class TipRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class Wave(msgspec.Struct):
    notification_id: str


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class DeskScan(msgspec.Struct):
    admitted: bool
    colour: str | None
    openid: str | None
    visits: int | None


@get("/", summary="Hello, anyone", security=TOKEN_OPTIONAL)
async def greeting(ctx: NamedDependency[MiniAppContext]) -> Greeting:
    return Greeting(message=f"你好, {ctx.manifest.name}!", signed_in=ctx.has_citizen)


@post(
    "/visits",
    status_code=200,
    summary="Count a visit of the signed-in citizen",
    opt={"problems": [ScopeRequired]},
)
async def visit(ctx: NamedDependency[MiniAppContext]) -> Visitor:
    profile = await ctx.profile()  # needs profile.basic: 403 scope_required otherwise
    return Visitor(profile.openid, profile.name_masked, await count_visit(profile.openid))


@get("/colour", summary="The citizen's health-code colour", opt={"problems": [ScopeRequired]})
async def colour(ctx: NamedDependency[MiniAppContext]) -> Colour:
    ctx.require_citizen()
    return Colour(await ctx.healthcode.colour())


@post(
    "/tips",
    status_code=201,
    summary="Tip the hello team, charged to the credit wallet",
    responses={201: ResponseSpec(data_container=ChargeOut, description="the charge")},
    opt={"problems": [ScopeRequired, *WALLET_PROBLEMS, *IDEMPOTENCY_PROBLEMS]},
)
async def tip(
    request: Request[Any, Any, Any],
    ctx: NamedDependency[MiniAppContext],
    data: JSONBody[TipRequest],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    openid = ctx.require_citizen()
    ctx.require_scope("wallet.charge")

    async def run() -> ChargeOut:
        return await ctx.wallet.charge(data.amount, "hello tip")

    return await idempotent(
        request,
        scope=f"miniapp:hello:{openid}",
        key=idempotency_key,
        required=True,
        status_code=201,
        run=run,
    )


@post(
    "/waves",
    status_code=202,
    summary="Wave at the citizen (a notification)",
    opt={"problems": [ScopeRequired, *NOTIFY_PROBLEMS]},
)
async def wave(ctx: NamedDependency[MiniAppContext]) -> Wave:
    ctx.require_citizen()
    return Wave(await ctx.notify.send("hello.wave", {"from": "hello"}))


@post("/desk/scans", status_code=200, summary="The office front desk scans a visitor's code")
async def desk_scan(ctx: NamedDependency[MiniAppContext], data: JSONBody[ScanRequest]) -> DeskScan:
    device = ctx.require_device()
    scan = await device.scan(data.code, scopes=("healthcode.read",))
    if scan.citizen is None:
        return DeskScan(admitted=False, colour=None, openid=None, visits=None)
    openid = scan.citizen.require_citizen()
    return DeskScan(
        admitted=scan.colour == "green",
        colour=scan.colour,
        openid=openid,
        visits=await visits_of(openid),
    )


router = Router(path="/", route_handlers=[greeting, visit, colour, tip, wave, desk_scan])

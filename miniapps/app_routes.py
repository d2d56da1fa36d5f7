"""The API external app backends call: OAuth tokens and `/api/v1/apps/*`.

Each `/api/v1/apps/*` call runs through the same `MiniAppContext` an in-process app gets, so
scope checks, the data-access log and the sandbox behave the same for both kinds of app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody

from app.errors import (
    FieldError,
    Forbidden,
    MalformedRequest,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    declare_problems,
)
from app.idempotency import (
    IdempotencyKeyHeader,
    IdempotencyKeyInUse,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    idempotent,
)
from app.net import client_address
from app.ratelimit import get_limiter
from identity.errors import RealNameRequired
from miniapps import oauth
from miniapps.context import MiniAppContext
from miniapps.errors import InvalidClient, InvalidGrant, ScopeRequired, UnsupportedGrantType
from miniapps.schemas import (
    CaptureOut,
    CaptureRequest,
    ChargeOut,
    ChargeRequest,
    CitizenTokenOut,
    ClientTokenOut,
    ColourOut,
    HoldOut,
    HoldRequest,
    IdentityOut,
    NotifyQueued,
    NotifyRequest,
    ProfileOut,
    RefundOut,
    RefundRequest,
    TokenRequest,
    VoidOut,
)
from notifications.errors import NotSubscribed, UnknownTemplate
from wallet.errors import CreditLimitExceeded, HoldNotOpen, RefundExceedsCharge, WalletSuspended

MAX_NOTIFY_DATA = 4096
KEYED = [IdempotencyKeyRequired, IdempotencyKeyReused, IdempotencyKeyInUse]
TAKES_CREDIT = [CreditLimitExceeded, WalletSuspended, *KEYED]


def _parse_token_request(content_type: str, body: bytes) -> TokenRequest:
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise MalformedRequest("The form body is not UTF-8.") from None
        known = TokenRequest.__struct_fields__
        return TokenRequest(**{k: v[0] for k, v in fields.items() if k in known})
    try:
        return msgspec.json.decode(body or b"{}", type=TokenRequest)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(errors=[FieldError("body", str(exc))]) from None
    except msgspec.DecodeError:
        raise MalformedRequest("The body is not valid JSON.") from None


@post(
    "/api/v1/oauth/token",
    status_code=200,
    tags=["oauth"],
    summary="Exchange an authorization code, or get the app's own token",
    description=(
        "JSON or form body. `{grant_type: authorization_code, client_id, client_secret, code}` "
        "→ `{access_token, openid, scopes, expires_in}`; `{grant_type: client_credentials, "
        "client_id, client_secret}` → `{access_token, expires_in}`."
    ),
    opt={
        "problems": [
            InvalidGrant,
            InvalidClient,
            UnsupportedGrantType,
            MalformedRequest,
            ValidationFailed,
            RateLimited,
        ]
    },
)
async def token(request: Request[Any, Any, Any]) -> CitizenTokenOut | ClientTokenOut:
    await get_limiter().check(f"oauth:client:{client_address(request)}", 600, 60)
    parsed = _parse_token_request(request.headers.get("content-type", ""), await request.body())
    return await oauth.exchange(parsed)


async def _context(request: Request[Any, Any, Any]) -> MiniAppContext:
    principal = await oauth.current_app(request)
    return MiniAppContext(
        manifest=principal.manifest,
        citizen_id=principal.citizen_id,
        openid=principal.openid,
        scopes=principal.scopes,
        sandbox_citizen=principal.sandbox_citizen,
    )


declare_problems(_context, Unauthorized)


def _for_citizen(ctx: MiniAppContext, scope: str) -> None:
    """Checked before the idempotency record, so a refusal is not replayed later."""
    if not ctx.has_citizen:
        raise Forbidden("This needs a citizen's token (from a code exchange), not the app's own.")
    ctx.require_scope(scope)


def _scope(ctx: MiniAppContext) -> str:
    return f"app:{ctx.slug}:{ctx.openid or 'client'}"


class AppApiController(Controller):
    path = "/api/v1/apps"
    tags = ["app api"]
    dependencies = {"ctx": Provide(_context)}
    opt = {"problems": [ScopeRequired, Forbidden]}

    @get("/profile", summary="The citizen's openid and masked name (profile.basic)")
    async def profile(self, ctx: NamedDependency[MiniAppContext]) -> ProfileOut:
        _for_citizen(ctx, "profile.basic")
        return await ctx.profile()

    @get("/healthcode", summary="The colour of the citizen's health code (healthcode.read)")
    async def healthcode(self, ctx: NamedDependency[MiniAppContext]) -> ColourOut:
        _for_citizen(ctx, "healthcode.read")
        return ColourOut(await ctx.healthcode.colour())

    @get(
        "/identity",
        summary="Real name and per-app ID hash (identity.realname)",
        opt={"problems": [RealNameRequired]},
    )
    async def identity(self, ctx: NamedDependency[MiniAppContext]) -> IdentityOut:
        _for_citizen(ctx, "identity.realname")
        return await ctx.identity.real_identity()

    @post(
        "/wallet/holds",
        status_code=201,
        summary="Hold credit on the citizen's wallet (wallet.charge)",
        responses={201: ResponseSpec(data_container=HoldOut, description="the hold")},
        opt={"problems": TAKES_CREDIT},
    )
    async def hold(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[MiniAppContext],
        data: JSONBody[HoldRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        _for_citizen(ctx, "wallet.charge")

        async def run() -> HoldOut:
            return await ctx.wallet.hold(data.amount, data.memo, data.expires_in)

        return await idempotent(
            request, scope=_scope(ctx), key=idempotency_key, required=True, status_code=201, run=run
        )

    @post(
        "/wallet/holds/{hold_id:str}/capture",
        status_code=200,
        summary="Capture a hold, fully or partly; the rest is released",
        responses={200: ResponseSpec(data_container=CaptureOut, description="the capture")},
        opt={"problems": [HoldNotOpen, *KEYED]},
    )
    async def capture(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[MiniAppContext],
        hold_id: FromPath[str],
        data: JSONBody[CaptureRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        ctx.require_scope("wallet.charge")

        async def run() -> CaptureOut:
            return await ctx.wallet.capture(hold_id, data.amount)

        return await idempotent(
            request, scope=_scope(ctx), key=idempotency_key, required=True, status_code=200, run=run
        )

    @post(
        "/wallet/holds/{hold_id:str}/void",
        status_code=200,
        summary="Release a hold",
        responses={200: ResponseSpec(data_container=VoidOut, description="the void")},
        opt={"problems": [HoldNotOpen, IdempotencyKeyReused, IdempotencyKeyInUse]},
    )
    async def void(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[MiniAppContext],
        hold_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        ctx.require_scope("wallet.charge")

        async def run() -> VoidOut:
            return await ctx.wallet.void(hold_id)

        return await idempotent(
            request,
            scope=_scope(ctx),
            key=idempotency_key,
            required=False,
            status_code=200,
            run=run,
        )

    @post(
        "/wallet/charges",
        status_code=201,
        summary="Charge the citizen's wallet (wallet.charge)",
        responses={201: ResponseSpec(data_container=ChargeOut, description="the charge")},
        opt={"problems": TAKES_CREDIT},
    )
    async def charge(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[MiniAppContext],
        data: JSONBody[ChargeRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        _for_citizen(ctx, "wallet.charge")

        async def run() -> ChargeOut:
            return await ctx.wallet.charge(data.amount, data.memo)

        return await idempotent(
            request, scope=_scope(ctx), key=idempotency_key, required=True, status_code=201, run=run
        )

    @post(
        "/wallet/refunds",
        status_code=201,
        summary="Refund a charge or a captured hold",
        responses={201: ResponseSpec(data_container=RefundOut, description="the refund")},
        opt={"problems": [RefundExceedsCharge, NotFound, *KEYED]},
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[MiniAppContext],
        data: JSONBody[RefundRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        ctx.require_scope("wallet.charge")
        if (data.charge_id is None) == (data.hold_id is None):
            raise ValidationFailed(
                errors=[FieldError("charge_id", "give either charge_id or hold_id")]
            )

        async def run() -> RefundOut:
            return await ctx.wallet.refund(
                data.amount, charge_id=data.charge_id, hold_id=data.hold_id
            )

        return await idempotent(
            request, scope=_scope(ctx), key=idempotency_key, required=True, status_code=201, run=run
        )

    @post(
        "/notifications",
        status_code=202,
        summary="Notify the citizen with a template they subscribed to (notify.send)",
        opt={"problems": [NotSubscribed, UnknownTemplate, RateLimited]},
    )
    async def notify(
        self, ctx: NamedDependency[MiniAppContext], data: JSONBody[NotifyRequest]
    ) -> NotifyQueued:
        _for_citizen(ctx, "notify.send")
        if len(msgspec.json.encode(data.data)) > MAX_NOTIFY_DATA:
            raise ValidationFailed(errors=[FieldError("data", "at most 4 KB of data")])
        return NotifyQueued(await ctx.notify.send(data.template, data.data))


route_handlers: list[Any] = [token, AppApiController]

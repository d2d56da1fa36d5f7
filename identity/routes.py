"""Thin HTTP controllers for identity: auth, /me, admin citizens and audit, venues, gates."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from app.errors import RateLimited, Unauthorized
from app.net import client_address
from app.pagination import CursorParam, LimitParam, Page
from app.ratelimit import get_limiter
from app.settings import get_settings
from identity import service
from identity.auth import (
    CitizenPrincipal,
    any_admin_dependency,
    citizen_dependency,
    platform_admin_dependency,
)
from identity.errors import (
    AlreadyVerified,
    IdNumberTaken,
    InvalidDevice,
    InvalidIdNumber,
    InvalidOtp,
    InvalidPhone,
    RefreshTokenReused,
)
from identity.schemas import (
    AuditOut,
    CitizenSummary,
    GateCreate,
    GateCreated,
    GateOut,
    GateToken,
    GateTokenRequest,
    Me,
    OtpRequest,
    OtpSent,
    RealNameRequest,
    RefreshRequest,
    RolesRequest,
    TokenPair,
    TokenRequest,
    VenueCreate,
    VenueOut,
)


async def limit_auth_clients(request: Request[Any, Any, Any]) -> None:
    """Per-client limit on /api/v1/auth/*; per-phone limits sit in the service."""
    limit = get_settings().auth_rate_per_client
    await get_limiter().check(f"auth:client:{client_address(request)}", limit, 60)


def _pair(pair: service.IssuedPair) -> TokenPair:
    return TokenPair(pair.access_token, pair.refresh_token, "Bearer", pair.expires_in)


def _me(view: service.CitizenView) -> Me:
    return Me(view.id, view.phone_masked, view.name_masked, view.real_name_verified, view.roles)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["identity"]
    before_request = staticmethod(limit_auth_clients)
    opt = {"problems": [RateLimited]}

    @post(
        "/otp",
        status_code=202,
        summary="Send a login code by SMS",
        opt={"problems": [InvalidPhone]},
    )
    async def send_otp(
        self, request: Request[Any, Any, Any], data: JSONBody[OtpRequest]
    ) -> OtpSent:
        expires_in, dev_code = await service.request_otp(data.phone, client_address(request))
        return OtpSent(expires_in=expires_in, dev_code=dev_code)

    @post(
        "/token",
        status_code=200,
        summary="Exchange phone and code for tokens",
        opt={"problems": [InvalidOtp, InvalidPhone]},
    )
    async def token(self, data: JSONBody[TokenRequest]) -> TokenPair:
        return _pair(await service.login_with_otp(data.phone, data.code))

    @post(
        "/refresh",
        status_code=200,
        summary="Rotate the refresh token",
        opt={"problems": [Unauthorized, RefreshTokenReused]},
    )
    async def refresh(self, data: JSONBody[RefreshRequest]) -> TokenPair:
        return _pair(await service.refresh(data.refresh_token))

    @post("/logout", status_code=204, dependencies=citizen_dependency, summary="End this login")
    async def logout(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[RefreshRequest]
    ) -> None:
        await service.logout(citizen.citizen_id, data.refresh_token)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["identity"]
    dependencies = citizen_dependency

    @get("", summary="The signed-in citizen")
    async def me(self, citizen: NamedDependency[CitizenPrincipal]) -> Me:
        return _me(await service.get_citizen(citizen.citizen_id))

    @post(
        "/real-name",
        status_code=200,
        summary="Bind a real name and resident ID",
        opt={"problems": [InvalidIdNumber, AlreadyVerified, IdNumberTaken]},
    )
    async def real_name(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[RealNameRequest]
    ) -> Me:
        return _me(await service.bind_real_name(citizen.citizen_id, data.name, data.id_number))


def _summary(view: service.CitizenView) -> CitizenSummary:
    return CitizenSummary(view.id, view.phone_masked, view.name_masked, view.roles)


class AdminCitizensController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @get("/citizens", dependencies=any_admin_dependency, summary="Look a citizen up by phone")
    async def find(
        self,
        admin: NamedDependency[CitizenPrincipal],
        phone: FromQuery[str | None] = None,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[CitizenSummary]:
        views, next_cursor = await service.find_citizens(phone, limit, cursor)
        return Page([_summary(v) for v in views], next_cursor)

    @put(
        "/citizens/{citizen_id:str}/roles",
        dependencies=platform_admin_dependency,
        summary="Set a citizen's roles",
    )
    async def set_roles(
        self,
        admin: NamedDependency[CitizenPrincipal],
        citizen_id: FromPath[str],
        data: JSONBody[RolesRequest],
    ) -> CitizenSummary:
        view = await service.set_roles(admin.citizen_id, citizen_id, list(data.roles))
        return _summary(view)

    @get("/audit", dependencies=platform_admin_dependency, summary="The admin audit log")
    async def audit(
        self,
        admin: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[AuditOut]:
        rows, next_cursor = await service.list_audit(limit, cursor)
        return Page([AuditOut(**r) for r in rows], next_cursor)


class VenueController(Controller):
    path = "/api/v1/admin"
    tags = ["venues"]
    dependencies = platform_admin_dependency

    @post("/venues", status_code=201, summary="Create a venue")
    async def create_venue(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[VenueCreate]
    ) -> VenueOut:
        venue = await service.create_venue(
            admin.citizen_id,
            data.name,
            data.kind,
            data.region_code,
            data.address,
            list(data.admission) if data.admission else None,
            foreign_codes=data.foreign_codes,
        )
        return VenueOut(**venue)

    @post("/venues/{venue_id:str}/gates", status_code=201, summary="Add a gate device")
    async def create_gate(
        self,
        admin: NamedDependency[CitizenPrincipal],
        venue_id: FromPath[str],
        data: JSONBody[GateCreate],
    ) -> GateCreated:
        gate_id, secret = await service.create_gate(admin.citizen_id, venue_id, data.name)
        return GateCreated(gate_id=gate_id, venue_id=venue_id, name=data.name, device_secret=secret)

    @post("/gates/{gate_id:str}/revoke", status_code=200, summary="Revoke a gate device")
    async def revoke_gate(
        self, admin: NamedDependency[CitizenPrincipal], gate_id: FromPath[str]
    ) -> GateOut:
        return GateOut(**await service.revoke_gate(admin.citizen_id, gate_id))


@post(
    "/api/v1/gate/token",
    status_code=200,
    tags=["venues"],
    summary="A gate device signs in",
    opt={"problems": [InvalidDevice, RateLimited]},
)
async def gate_token(
    request: Request[Any, Any, Any], data: JSONBody[GateTokenRequest]
) -> GateToken:
    limit = get_settings().gate_rate_per_client
    await get_limiter().check(f"gate:client:{client_address(request)}", limit, 60)
    token, expires_in = await service.gate_token(data.gate_id, data.device_secret)
    return GateToken(token, "Bearer", expires_in)


# Documents every route's problem+json answers in OpenAPI (all domains'); belongs in
# create_app(), registered here until it is wired there (registering it twice is harmless).


route_handlers: list[Any] = [
    AuthController,
    MeController,
    AdminCitizensController,
    VenueController,
    gate_token,
]

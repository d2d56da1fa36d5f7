"""Who is calling: principals and the Litestar dependencies that produce them.

A bearer token is accepted only for its own audience (`citizen`, `gate`, `app:<slug>`), and
only while its login (or gate) is alive: revocation takes effect on the next request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.di import Provide

from app.errors import Forbidden, Unauthorized, declare_problems
from app.security import get_keyring
from identity import service


class CitizenPrincipal(msgspec.Struct, frozen=True):
    citizen_id: str
    session_id: str
    roles: frozenset[str]
    real_name_verified: bool


class GatePrincipal(msgspec.Struct, frozen=True):
    gate_id: str
    venue_id: str
    venue_kind: str


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required.")
    return token.strip()


def decode(connection: ASGIConnection[Any, Any, Any, Any], audience: str) -> dict[str, Any]:
    token = bearer_token(connection)
    try:
        return get_keyring().decode_token(token, audience)
    except jwt.PyJWTError:
        raise Unauthorized("The token is invalid, expired or not for this service.") from None


async def current_citizen(request: ASGIConnection[Any, Any, Any, Any]) -> CitizenPrincipal:
    claims = decode(request, "citizen")
    login = await service.active_login(str(claims.get("sid", "")), str(claims["sub"]))
    if login is None:
        raise Unauthorized("This login has ended; sign in again.")
    return CitizenPrincipal(
        citizen_id=login.citizen_id,
        session_id=login.session_id,
        roles=frozenset(login.roles),
        real_name_verified=login.real_name_verified,
    )


async def current_gate(request: ASGIConnection[Any, Any, Any, Any]) -> GatePrincipal:
    claims = decode(request, "gate")
    gate = await service.active_gate(str(claims["sub"]))
    if gate is None:
        raise Unauthorized("This gate has been revoked.")
    return GatePrincipal(gate_id=gate.gate_id, venue_id=gate.venue_id, venue_kind=gate.venue_kind)


def require_roles(*roles: str) -> Callable[..., Awaitable[CitizenPrincipal]]:
    """A dependency: the citizen, who must hold at least one of `roles`."""
    wanted = frozenset(roles)

    async def dependency(request: ASGIConnection[Any, Any, Any, Any]) -> CitizenPrincipal:
        citizen = await current_citizen(request)
        if not citizen.roles & wanted:
            raise Forbidden(f"This needs the {' or '.join(sorted(wanted))} role.")
        return citizen

    declare_problems(dependency, Unauthorized, Forbidden)
    return dependency


declare_problems(current_citizen, Unauthorized)
declare_problems(current_gate, Unauthorized)


citizen_dependency = {"citizen": Provide(current_citizen)}
gate_dependency = {"gate": Provide(current_gate)}
health_admin_dependency = {"admin": Provide(require_roles("health_admin"))}
any_admin_dependency = {"admin": Provide(require_roles("health_admin", "platform_admin"))}
platform_admin_dependency = {"admin": Provide(require_roles("platform_admin"))}

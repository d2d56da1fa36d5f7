"""OAuth for external apps: code exchange, client credentials, and checking app tokens.

A citizen's token (aud `app:<slug>`, sub = openid) is bound to one grant: revoking the grant
kills it on the next request. An app's own token is bound to its secret version: rotating
the client secret kills it. Tokens carry no citizen id; the grant table maps them back.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from litestar.connection import ASGIConnection

from app.database import atomic, fetch_one
from app.errors import Unauthorized
from app.security import get_keyring, hash_secret
from miniapps.errors import InvalidClient, InvalidGrant, UnsupportedGrantType
from miniapps.manifest import Manifest
from miniapps.schemas import CitizenTokenOut, ClientTokenOut, TokenRequest
from miniapps.service import external_manifest, grant_for_token, now, split

CITIZEN_TOKEN_TTL = 30 * 24 * 3600
CLIENT_TOKEN_TTL = 2 * 3600
GRANT_TYPES = ("authorization_code", "client_credentials")


async def _client(client_id: str | None, client_secret: str | None) -> dict[str, Any]:
    if not client_id or not client_secret:
        raise InvalidClient("Send client_id and client_secret.")
    row = await fetch_one(
        "SELECT id, slug, scopes, client_secret_hash, secret_version, status "
        "FROM miniapp_app WHERE client_id = {}",
        client_id,
    )
    if row is None or not hmac.compare_digest(
        row["client_secret_hash"], hash_secret(client_secret)
    ):
        raise InvalidClient("Unknown client_id or wrong client_secret.")
    return row


async def exchange(request: TokenRequest) -> CitizenTokenOut | ClientTokenOut:
    if request.grant_type not in GRANT_TYPES:
        raise UnsupportedGrantType("grant_type must be authorization_code or client_credentials.")
    app = await _client(request.client_id, request.client_secret)
    keyring = get_keyring()
    audience = f"app:{app['slug']}"
    if request.grant_type == "client_credentials":
        token = keyring.issue_token(
            audience=audience,
            subject=str(request.client_id),
            ttl=CLIENT_TOKEN_TTL,
            claims={"typ": "client", "sv": int(app["secret_version"])},
        )
        return ClientTokenOut(access_token=token, expires_in=CLIENT_TOKEN_TTL)
    if not request.code:
        raise InvalidGrant("Send the authorization code the citizen's grant returned.")
    async with atomic():
        code = await fetch_one(
            "UPDATE miniapp_auth_code SET used_at = {} WHERE code_hash = {} AND slug = {} "
            "AND used_at IS NULL AND expires_at > {} RETURNING openid, grant_id, sandbox",
            now(),
            hash_secret(request.code),
            app["slug"],
            now(),
        )
        if code is None:
            raise InvalidGrant("The code is unknown, expired, already used or for another app.")
        if code["sandbox"]:
            scopes = split(app["scopes"])
        else:
            bound = await grant_for_token(app["slug"], code["openid"], code["grant_id"])
            if bound is None:
                raise InvalidGrant("The citizen has revoked this grant.")
            scopes = sorted(bound[1])
    claims: dict[str, Any] = {"typ": "citizen", "gid": code["grant_id"]}
    if code["sandbox"]:
        claims["sbx"] = True
    token = keyring.issue_token(
        audience=audience, subject=code["openid"], ttl=CITIZEN_TOKEN_TTL, claims=claims
    )
    return CitizenTokenOut(
        access_token=token, openid=code["openid"], scopes=scopes, expires_in=CITIZEN_TOKEN_TTL
    )


# Checking an app token on each request -------------------------------------------------------


@dataclass(frozen=True)
class AppPrincipal:
    """An external app calling: for one citizen (their grant), or as itself (client)."""

    manifest: Manifest
    kind: Literal["citizen", "client"]
    scopes: frozenset[str]
    openid: str | None = None
    citizen_id: str | None = None
    sandbox_citizen: str | None = None


def _claims(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    from identity.auth import bearer_token

    token = bearer_token(connection)
    try:
        audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
        if not isinstance(audience, str) or not audience.startswith("app:"):
            raise jwt.InvalidAudienceError("not an app token")
        return get_keyring().decode_token(token, audience)
    except jwt.PyJWTError:
        raise Unauthorized("The token is invalid, expired or not an app token.") from None


async def current_app(connection: ASGIConnection[Any, Any, Any, Any]) -> AppPrincipal:
    claims = _claims(connection)
    slug = str(claims["aud"]).removeprefix("app:")
    row = await fetch_one(
        "SELECT id, slug, name, version, scopes, templates, status, client_id, secret_version "
        "FROM miniapp_app WHERE slug = {}",
        slug,
    )
    if row is None:
        raise Unauthorized("This app is no longer registered.")
    manifest = external_manifest(row)
    declared = frozenset(manifest.scopes)
    subject = str(claims["sub"])
    if claims.get("typ") == "client":
        if subject != row["client_id"] or claims.get("sv") != row["secret_version"]:
            raise Unauthorized("The client secret was rotated; get a new token.")
        return AppPrincipal(manifest, "client", declared)
    grant_id = str(claims.get("gid", ""))
    if claims.get("sbx"):
        sandbox = await fetch_one(
            "SELECT id FROM miniapp_sandbox_citizen WHERE id = {} AND slug = {} AND openid = {}",
            grant_id,
            slug,
            subject,
        )
        if sandbox is None:
            raise Unauthorized("This sandbox citizen no longer exists.")
        return AppPrincipal(manifest, "citizen", declared, subject, None, grant_id)
    bound = await grant_for_token(slug, subject, grant_id)
    if bound is None:
        raise Unauthorized("The citizen has revoked this app's access.")
    citizen_id, scopes = bound
    return AppPrincipal(manifest, "citizen", scopes & declared, subject, citizen_id)

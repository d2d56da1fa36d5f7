"""The developer platform: registering external apps, review, secrets, the sandbox.

An app moves draft → submitted → live; only a platform admin makes it live, and that is
audited. The client secret is stored as a hash (it only has to be checked); the webhook
secret is sealed with the keyring (the dispatcher must sign with it). Both are shown once.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from app.database import atomic, fetch, fetch_one
from app.errors import FieldError, NotFound, ValidationFailed
from app.net import may_call
from app.pagination import decode_cursor, encode_cursor
from app.security import get_keyring, hash_secret, new_id
from app.settings import get_settings
from miniapps.errors import AppNotDraft, AppNotSubmitted, InvalidWebhookUrl, SlugTaken
from miniapps.manifest import RESERVED_SLUGS
from miniapps.schemas import (
    AppCreate,
    AppCreated,
    AppOut,
    AppUpdate,
    ClientSecretOut,
    SandboxCitizenCreate,
    SandboxCitizenOut,
    WebhookSecretOut,
)
from miniapps.service import as_utc, issue_code, now, split

FIRST_PARTY_SLUGS = frozenset(
    {"medical", "hotel", "park", "rental", "parking", "reports", "services", "benefits"}
)
# A top-level domain is letters (or an IDN's `xn--` form): a numeric or `0x..` last label is
# an IPv4 address in one of inet_aton's spellings (`0xa9.0xfe.0xa9.0xfe`, `127.1`).
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")


def check_webhook_url(url: str | None) -> str | None:
    """https to a public host; dev and test also allow http and loopback (local receivers)."""
    if url is None:
        return None
    relaxed = get_settings().env in ("dev", "test")
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if relaxed else ("https",)
    if parts.scheme not in schemes:
        raise InvalidWebhookUrl("The webhook URL must start with https://.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or parts.username or parts.password:
        raise InvalidWebhookUrl("The webhook URL needs a host and no user name or password.")
    try:
        _ = parts.port
    except ValueError:
        raise InvalidWebhookUrl("The webhook URL has an invalid port.") from None
    loopback = host == "localhost" or host.endswith(".localhost")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not may_call(address, allow_loopback=relaxed):
            raise InvalidWebhookUrl("The webhook URL may not point at a private address.")
        return parts.geturl()
    if loopback and relaxed:
        return parts.geturl()
    labels = host.split(".")
    if (
        loopback
        or len(labels) < 2
        or host.endswith(_LOCAL_SUFFIXES)
        or not _TLD.fullmatch(labels[-1])
    ):
        raise InvalidWebhookUrl("The webhook URL must name a public host.")
    return parts.geturl()


def _out(row: dict[str, Any]) -> AppOut:
    return AppOut(
        app_id=row["id"],
        slug=row["slug"],
        name=row["name"],
        version=row["version"],
        scopes=split(row["scopes"]),
        templates=split(row["templates"]),
        webhook_url=row["webhook_url"],
        client_id=row["client_id"],
        status=row["status"],
        developer_id=row["developer_id"],
        created_at=as_utc(row["created_at"]),
        submitted_at=as_utc(row["submitted_at"]) if row["submitted_at"] else None,
        approved_at=as_utc(row["approved_at"]) if row["approved_at"] else None,
    )


_COLUMNS = (
    "id, slug, name, version, scopes, templates, webhook_url, client_id, status, "
    "developer_id, created_at, submitted_at, approved_at"
)


async def create_app(developer_id: str, real_name_verified: bool, data: AppCreate) -> AppCreated:
    from identity.errors import RealNameRequired
    from identity.service import grant_role
    from miniapps.registry import get_registry

    if not real_name_verified:
        raise RealNameRequired("Verify your real name before registering a mini-app.")
    if len(set(data.scopes)) != len(data.scopes) or len(set(data.templates)) != len(data.templates):
        raise ValidationFailed(errors=[FieldError("scopes", "list each scope and template once")])
    webhook_url = check_webhook_url(data.webhook_url)
    if (
        data.slug in RESERVED_SLUGS
        or data.slug in FIRST_PARTY_SLUGS
        or get_registry().get(data.slug) is not None
    ):
        raise SlugTaken("This slug is reserved or used by an installed mini-app.")
    app_id, client_id = new_id(), "cli_" + secrets.token_hex(12)
    client_secret = "cs_" + secrets.token_urlsafe(32)
    webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    async with atomic():
        inserted = await fetch_one(
            "INSERT INTO miniapp_app (id, slug, name, version, developer_id, scopes, templates, "
            "webhook_url, client_id, client_secret_hash, secret_version, webhook_secret_sealed, "
            "status, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 1, {}, 'draft', {}) "
            "ON CONFLICT (slug) DO NOTHING RETURNING id",
            app_id,
            data.slug,
            data.name,
            data.version,
            developer_id,
            ",".join(data.scopes),
            ",".join(data.templates),
            webhook_url,
            client_id,
            hash_secret(client_secret),
            get_keyring().seal_text(webhook_secret, aad=f"webhook:{app_id}"),
            now(),
        )
        if inserted is None:
            raise SlugTaken("Another app already uses this slug.")
        await grant_role(developer_id, "developer")
    return AppCreated(app_id, data.slug, client_id, client_secret, webhook_secret, "draft")


async def _own(developer_id: str, app_id: str) -> dict[str, Any]:
    row = await fetch_one(f"SELECT {_COLUMNS} FROM miniapp_app WHERE id = {{}}", app_id)
    if row is None:
        raise NotFound("No such app.")
    if row["developer_id"] != developer_id:
        raise NotFound("No such app.")  # another developer's app: not even its existence
    return row


async def get_app(developer_id: str, app_id: str) -> AppOut:
    return _out(await _own(developer_id, app_id))


async def list_apps(
    limit: int, cursor: str | None, *, developer_id: str | None = None, status: str | None = None
) -> tuple[list[AppOut], str | None]:
    after = decode_cursor(cursor)
    where, args = ["slug > {}"], [str(after[0]) if after else ""]
    if developer_id is not None:
        where.append("developer_id = {}")
        args.append(developer_id)
    if status is not None:
        where.append("status = {}")
        args.append(status)
    rows = await fetch(
        f"SELECT {_COLUMNS} FROM miniapp_app WHERE {' AND '.join(where)} "
        f"ORDER BY slug LIMIT {limit + 1}",
        *args,
    )
    items = [_out(r) for r in rows[:limit]]
    return items, (encode_cursor(items[-1].slug) if len(rows) > limit else None)


async def update_app(developer_id: str, app_id: str, data: AppUpdate) -> AppOut:
    import msgspec

    await _own(developer_id, app_id)
    changes: dict[str, Any] = {}
    if data.name is not msgspec.UNSET:
        changes["name"] = data.name
    if data.webhook_url is not msgspec.UNSET:
        changes["webhook_url"] = check_webhook_url(data.webhook_url)
    if changes:
        assignments = ", ".join(f"{column} = {{}}" for column in changes)
        async with atomic():
            await fetch(
                f"UPDATE miniapp_app SET {assignments} WHERE id = {{}}", *changes.values(), app_id
            )
    return await get_app(developer_id, app_id)


async def submit(developer_id: str, app_id: str) -> AppOut:
    async with atomic():
        await _own(developer_id, app_id)
        row = await fetch_one(
            "UPDATE miniapp_app SET status = 'submitted', submitted_at = {} "
            "WHERE id = {} AND status = 'draft' RETURNING id",
            now(),
            app_id,
        )
        if row is None:
            raise AppNotDraft("This app has already been submitted.")
    return await get_app(developer_id, app_id)


async def approve(admin_id: str, app_id: str) -> AppOut:
    from identity.service import record_audit

    async with atomic():
        row = await fetch_one(
            "UPDATE miniapp_app SET status = 'live', approved_at = {} "
            f"WHERE id = {{}} AND status = 'submitted' RETURNING {_COLUMNS}",
            now(),
            app_id,
        )
        if row is None:
            if await fetch_one("SELECT id FROM miniapp_app WHERE id = {}", app_id) is None:
                raise NotFound("No such app.")
            raise AppNotSubmitted("Only a submitted app can be approved.")
        await record_audit(admin_id, "miniapp.approve", f"app:{app_id}:{row['slug']}")
    return _out(row)


async def rotate_client_secret(developer_id: str, app_id: str) -> ClientSecretOut:
    """A new client secret; the old one and every token it got stop working at once."""
    secret = "cs_" + secrets.token_urlsafe(32)
    async with atomic():
        row = await _own(developer_id, app_id)
        await fetch(
            "UPDATE miniapp_app SET client_secret_hash = {}, secret_version = secret_version + 1 "
            "WHERE id = {}",
            hash_secret(secret),
            app_id,
        )
    return ClientSecretOut(row["client_id"], secret)


async def rotate_webhook_secret(developer_id: str, app_id: str) -> WebhookSecretOut:
    secret = "whsec_" + secrets.token_urlsafe(32)
    async with atomic():
        await _own(developer_id, app_id)
        await fetch(
            "UPDATE miniapp_app SET webhook_secret_sealed = {} WHERE id = {}",
            get_keyring().seal_text(secret, aad=f"webhook:{app_id}"),
            app_id,
        )
    return WebhookSecretOut(secret)


async def create_sandbox_citizen(
    developer_id: str, app_id: str, data: SandboxCitizenCreate
) -> SandboxCitizenOut:
    """A made-up citizen granting every scope the app asks for, with a code to exchange."""
    citizen_id = "sbx-p-" + new_id().replace("-", "")
    async with atomic():
        row = await _own(developer_id, app_id)
        openid = get_keyring().lookup_hash(f"{row['slug']}:{citizen_id}", "openid")[:32]
        await fetch(
            "INSERT INTO miniapp_sandbox_citizen (id, app_id, slug, openid, name, colour, "
            "credit_limit, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            citizen_id,
            app_id,
            row["slug"],
            openid,
            data.name,
            data.colour,
            data.credit_limit,
            now(),
        )
        code = await issue_code(row["slug"], openid, citizen_id, sandbox=True)
    return SandboxCitizenOut(citizen_id, openid, code, split(row["scopes"]))

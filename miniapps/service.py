"""Consent, openids, the data-access log, and what other domains ask of the platform.

The functions other engineers call (`app_exists`, `app_templates`, `webhook_endpoint`,
`record_data_access`, `app_owner`) live here. An openid is a keyed hash of (app, citizen):
two apps never share one, and only this platform can map one back to the citizen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from app.database import atomic, fetch, fetch_one, is_postgres
from app.errors import FieldError, NotFound, ValidationFailed
from app.pagination import decode_cursor, encode_cursor
from app.security import get_keyring, hash_secret, new_id
from miniapps.manifest import Manifest
from miniapps.schemas import DataAccessOut, GrantCreated, GrantOut, MiniAppOut

OPENID_LENGTH = 32
CODE_TTL = timedelta(minutes=5)
_known_openids: set[tuple[str, str]] = set()
_citizen_of: dict[tuple[str, str], str] = {}  # (slug, openid) → citizen, from the directory


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: Any) -> datetime:
    """Timestamps come back as datetimes, or as text on SQLite for raw values."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def split(stored: str) -> list[str]:
    return [item for item in stored.split(",") if item]


# Apps: in-process ones from the registry, external ones from the developer platform ------


@dataclass(frozen=True)
class AppInfo:
    manifest: Manifest
    kind: Literal["builtin", "external"]
    status: str  # builtin apps are always "live"
    app_id: str | None = None

    @property
    def slug(self) -> str:
        return self.manifest.slug

    @property
    def live(self) -> bool:
        return self.status == "live"


def external_manifest(row: dict[str, Any]) -> Manifest:
    """An external app's registration seen as a manifest, so both kinds check alike."""
    scopes = tuple(split(row["scopes"]))
    return Manifest(
        slug=row["slug"],
        name=row["name"],
        version=row["version"],
        scopes=scopes,  # type: ignore[arg-type]
        templates=tuple(split(row["templates"])),
        charge_modes=("hold", "charge") if "wallet.charge" in scopes else (),
    )


_APP_COLUMNS = "id, slug, name, version, scopes, templates, status"


async def find_app(slug: str) -> AppInfo | None:
    """Any app by slug, whatever its review status."""
    from miniapps.registry import get_registry

    loaded = get_registry().get(slug)
    if loaded is not None:
        return AppInfo(loaded.manifest, "builtin", "live")
    row = await fetch_one(f"SELECT {_APP_COLUMNS} FROM miniapp_app WHERE slug = {{}}", slug)
    if row is None:
        return None
    return AppInfo(external_manifest(row), "external", row["status"], row["id"])


async def visible_app(slug: str) -> AppInfo:
    """An app citizens may use (in-process, or external and live); else 404."""
    info = await find_app(slug)
    if info is None or not info.live:
        raise NotFound("No such mini-app.")
    return info


async def app_exists(slug: str) -> bool:
    """For other domains: an app citizens can use (in-process, or external and live)."""
    info = await find_app(slug)
    return info is not None and info.live


async def app_templates(slug: str) -> list[str] | None:
    """For notifications: an app's declared templates; None for an app citizens cannot use."""
    info = await find_app(slug)
    return list(info.manifest.templates) if info is not None and info.live else None


async def webhook_endpoint(slug: str) -> tuple[str, str] | None:
    """For the webhook dispatcher: (url, webhook secret) of an external app that has a URL."""
    row = await fetch_one(
        "SELECT id, webhook_url, webhook_secret_sealed FROM miniapp_app WHERE slug = {}", slug
    )
    if row is None or not row["webhook_url"]:
        return None
    secret = get_keyring().open_text(row["webhook_secret_sealed"], aad=f"webhook:{row['id']}")
    return row["webhook_url"], secret


async def app_owner(app_id: str) -> tuple[str, str] | None:
    """(slug, developer's citizen id) of an external app."""
    row = await fetch_one("SELECT slug, developer_id FROM miniapp_app WHERE id = {}", app_id)
    return None if row is None else (row["slug"], row["developer_id"])


async def catalogue(limit: int, cursor: str | None) -> tuple[list[MiniAppOut], str | None]:
    """In-process apps and live external apps, by slug."""
    from miniapps.registry import get_registry

    after = decode_cursor(cursor)
    start = str(after[0]) if after else ""
    builtin = [
        MiniAppOut(m.slug, m.name, m.version, list(m.scopes), "builtin")
        for m in get_registry().manifests()
        if m.slug > start
    ]
    rows = await fetch(
        f"SELECT {_APP_COLUMNS} FROM miniapp_app WHERE status = 'live' AND slug > {{}} "
        f"ORDER BY slug LIMIT {limit + 1}",
        start,
    )
    taken = {item.slug for item in builtin}
    external = [
        MiniAppOut(r["slug"], r["name"], r["version"], split(r["scopes"]), "external")
        for r in rows
        if r["slug"] not in taken
    ]
    items = sorted(builtin + external, key=lambda item: item.slug)
    page = items[:limit]
    more = len(items) > limit
    return page, (encode_cursor(page[-1].slug) if more else None)


# Openids ----------------------------------------------------------------------------------


def openid_for(slug: str, citizen_id: str) -> str:
    return get_keyring().lookup_hash(f"{slug}:{citizen_id}", "openid")[:OPENID_LENGTH]


async def ensure_openid(slug: str, citizen_id: str) -> str:
    """The citizen's openid for this app, remembered so that it can be resolved back."""
    openid = openid_for(slug, citizen_id)
    if (slug, citizen_id) not in _known_openids:
        async with atomic():
            await fetch(
                "INSERT INTO miniapp_openid (slug, openid, citizen_id, created_at) "
                "VALUES ({}, {}, {}, {}) ON CONFLICT (openid) DO NOTHING",
                slug,
                openid,
                citizen_id,
                now(),
            )
        if len(_known_openids) > 100_000:
            _known_openids.clear()
        _known_openids.add((slug, citizen_id))
    return openid


async def remember_openids(slug: str, citizen_ids: list[str]) -> dict[str, str]:
    """`ensure_openid` for a page of citizens at once (the citizen directory): one insert."""
    openids = {citizen_id: openid_for(slug, citizen_id) for citizen_id in citizen_ids}
    new = [c for c in citizen_ids if (slug, c) not in _known_openids]
    if new:
        at = now()
        values: list[Any] = []
        for citizen_id in new:
            values += [slug, openids[citizen_id], citizen_id, at]
        async with atomic():
            await fetch(
                "INSERT INTO miniapp_openid (slug, openid, citizen_id, created_at) VALUES "
                + ", ".join(["({}, {}, {}, {})"] * len(new))
                + " ON CONFLICT (openid) DO NOTHING",
                *values,
            )
        if len(_known_openids) > 100_000:
            _known_openids.clear()
        _known_openids.update((slug, c) for c in new)
    if len(_citizen_of) > 200_000:
        _citizen_of.clear()
    _citizen_of.update(((slug, o), c) for c, o in openids.items())
    return openids


async def citizen_for_openid(slug: str, openid: str) -> str | None:
    known = _citizen_of.get((slug, openid))  # an openid never changes citizen: safe to keep
    if known is not None:
        return known
    row = await fetch_one(
        "SELECT citizen_id FROM miniapp_openid WHERE slug = {} AND openid = {}", slug, openid
    )
    return None if row is None else str(row["citizen_id"])


# Consent ----------------------------------------------------------------------------------


async def grant(
    citizen_id: str, real_name_verified: bool, slug: str, scopes: list[str]
) -> GrantCreated:
    """Add scopes to the citizen's grant for this app (a revoked grant starts afresh)."""
    from identity.errors import RealNameRequired

    info = await visible_app(slug)
    undeclared = [s for s in scopes if s not in info.manifest.scopes]
    if undeclared:
        raise ValidationFailed(
            errors=[FieldError("scopes", f"this app does not ask for {', '.join(undeclared)}")]
        )
    if "identity.realname" in scopes and not real_name_verified:
        raise RealNameRequired("Verify your real name before sharing it with a mini-app.")
    openid = await ensure_openid(slug, citizen_id)
    code: str | None = None
    async with atomic():
        grant_id, granted = await _upsert_grant(citizen_id, slug, openid, scopes)
        if info.kind == "external":
            code = await issue_code(slug, openid, grant_id, sandbox=False)
    return GrantCreated(slug=slug, scopes=granted, code=code)


async def _upsert_grant(
    citizen_id: str, slug: str, openid: str, scopes: list[str]
) -> tuple[str, list[str]]:
    """Inside a transaction: (grant id, scopes now granted)."""
    fresh_id = new_id()
    wanted = ",".join(sorted(set(scopes)))
    inserted = await fetch_one(
        "INSERT INTO miniapp_grant (openid, slug, citizen_id, grant_id, scopes, granted_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (openid) DO NOTHING RETURNING grant_id",
        openid,
        slug,
        citizen_id,
        fresh_id,
        wanted,
        now(),
    )
    if inserted is not None:
        return fresh_id, split(wanted)
    lock = " FOR UPDATE" if is_postgres() else ""
    row = await fetch_one(
        f"SELECT grant_id, scopes, revoked_at FROM miniapp_grant WHERE openid = {{}}{lock}",
        openid,
    )
    assert row is not None
    if row["revoked_at"] is not None:  # a fresh grant: tokens of the old one stay dead
        await fetch(
            "UPDATE miniapp_grant SET grant_id = {}, scopes = {}, granted_at = {}, "
            "revoked_at = NULL WHERE openid = {}",
            fresh_id,
            wanted,
            now(),
            openid,
        )
        return fresh_id, split(wanted)
    merged = ",".join(sorted(set(split(row["scopes"])) | set(scopes)))
    await fetch("UPDATE miniapp_grant SET scopes = {} WHERE openid = {}", merged, openid)
    return str(row["grant_id"]), split(merged)


async def issue_code(slug: str, openid: str, grant_id: str, *, sandbox: bool) -> str:
    """A one-time authorization code (5 minutes); only its hash is stored."""
    code = "ac_" + secrets.token_urlsafe(24)
    await fetch(
        "INSERT INTO miniapp_auth_code (code_hash, slug, openid, grant_id, sandbox, expires_at) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        hash_secret(code),
        slug,
        openid,
        grant_id,
        sandbox,
        now() + CODE_TTL,
    )
    return code


async def granted_scopes(slug: str, citizen_id: str) -> frozenset[str]:
    row = await fetch_one(
        "SELECT scopes FROM miniapp_grant WHERE citizen_id = {} AND slug = {} "
        "AND revoked_at IS NULL",
        citizen_id,
        slug,
    )
    return frozenset(split(row["scopes"])) if row else frozenset()


async def grant_for_token(
    slug: str, openid: str, grant_id: str
) -> tuple[str, frozenset[str]] | None:
    """(citizen id, scopes) behind a live token; None once the grant is revoked."""
    row = await fetch_one(
        "SELECT citizen_id, scopes FROM miniapp_grant "
        "WHERE grant_id = {} AND slug = {} AND openid = {} AND revoked_at IS NULL",
        grant_id,
        slug,
        openid,
    )
    if row is None:
        return None
    return str(row["citizen_id"]), frozenset(split(row["scopes"]))


async def list_grants(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[GrantOut], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT slug, scopes, granted_at FROM miniapp_grant WHERE citizen_id = {} "
        f"AND revoked_at IS NULL AND slug > {{}} ORDER BY slug LIMIT {limit + 1}",
        citizen_id,
        str(after[0]) if after else "",
    )
    more = len(rows) > limit
    items = [GrantOut(r["slug"], split(r["scopes"]), as_utc(r["granted_at"])) for r in rows[:limit]]
    return items, (encode_cursor(items[-1].slug) if more else None)


async def revoke(citizen_id: str, slug: str) -> None:
    """End the grant now: every token of this app for this citizen stops working."""
    from notifications.outbox import publish

    async with atomic():
        row = await fetch_one(
            "UPDATE miniapp_grant SET revoked_at = {}, scopes = '' "
            "WHERE citizen_id = {} AND slug = {} AND revoked_at IS NULL RETURNING grant_id",
            now(),
            citizen_id,
            slug,
        )
        if row is None:
            raise NotFound("You have not granted this mini-app anything.")
        await fetch(
            "UPDATE miniapp_auth_code SET used_at = {} WHERE grant_id = {} AND used_at IS NULL",
            now(),
            row["grant_id"],
        )
        info = await find_app(slug)
        name = info.manifest.name if info else slug
        await publish(
            "grant.revoked",
            citizen_id=citizen_id,
            title="已撤销授权",
            body=f"您已撤销「{name}」的全部授权。",
            miniapp=slug,
            data={"openid": openid_for(slug, citizen_id)},
        )


# The data-access log ------------------------------------------------------------------------


async def record_data_access(citizen_id: str, slug: str, what: str, detail: str = "") -> None:
    """Log a read of the citizen's data (or a charge) by an app; joins the open transaction."""
    async with atomic():
        await fetch(
            "INSERT INTO miniapp_data_access (id, citizen_id, slug, what, detail, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {})",
            new_id(),
            citizen_id,
            slug,
            what[:30],
            detail[:200],
            now(),
        )


async def list_data_access(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[DataAccessOut], str | None]:
    after = decode_cursor(cursor)
    where, args = "citizen_id = {}", list[object]([citizen_id])
    if after:
        where += " AND (created_at < {} OR (created_at = {} AND id < {}))"
        args += [as_utc(after[0]), as_utc(after[0]), str(after[1])]
    rows = await fetch(
        "SELECT id, slug, what, detail, created_at FROM miniapp_data_access "
        f"WHERE {where} ORDER BY created_at DESC, id DESC LIMIT {limit + 1}",
        *args,
    )
    more = len(rows) > limit
    items = [
        DataAccessOut(r["id"], r["slug"], r["what"], r["detail"], as_utc(r["created_at"]))
        for r in rows[:limit]
    ]
    last = items[-1] if items else None
    next_cursor = encode_cursor(last.created_at.isoformat(), last.id) if more and last else None
    return items, next_cursor

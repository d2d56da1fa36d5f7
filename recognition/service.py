"""The trust list: versions written by health_admins, the document gates download, and the
in-memory `TrustList` the gate verifies with. The only code that queries `rc_trust_version`.

Every change reads the latest version and writes the next one in one transaction; the
version number is the primary key, so of two concurrent changes one fails and is retried
rather than overwriting the other."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from app.database import atomic, fetch, fetch_one
from healthcode.clock import clock
from recognition.errors import IssuerNotTrusted, TrustEntryInvalid, TrustListBusy
from recognition.jwks_fetch import JwksUnavailable, check_url, fetch_jwks
from recognition.schemas import AcceptanceRules, CityIssuerIn, DscImportIn
from recognition.trust import TrustList, TrustListInvalid, from_document, parse_certificate

log = logging.getLogger("citybrain.recognition")
RELOAD_SECONDS = 30.0
_RETRIES = 3
_EMPTY: dict[str, Any] = {
    "version": 0,
    "issued_at": None,
    "city_issuers": [],
    "dsc": [],
    "rules": msgspec.to_builtins(AcceptanceRules()),
}
_cache: tuple[float, TrustList, AcceptanceRules] | None = None


async def document() -> dict[str, Any]:
    """The latest trust list as served to gates (an empty version 0 before any change)."""
    row = await fetch_one("SELECT document FROM rc_trust_version ORDER BY version DESC LIMIT 1")
    return json.loads(row["document"]) if row else dict(_EMPTY)


async def _write(
    actor_id: str, change: str, edit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    for _ in range(_RETRIES):
        async with atomic():
            current = await document()
            edit(current)
            current["version"] = int(current["version"]) + 1
            current["issued_at"] = clock.now().isoformat()
            try:
                from_document(current)
            except TrustListInvalid as exc:
                raise TrustEntryInvalid(str(exc)) from None
            inserted = await fetch(
                "INSERT INTO rc_trust_version (version, document, change, changed_by, created_at)"
                " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (version) DO NOTHING RETURNING version",
                current["version"],
                json.dumps(current),
                change,
                actor_id,
                clock.now(),
            )
        if inserted:
            forget()
            return current
    raise TrustListBusy("Another change was written at the same time.")


def _without_city(document_: dict[str, Any], iss: str) -> list[dict[str, Any]]:
    return [entry for entry in document_["city_issuers"] if entry["iss"] != iss]


async def put_city(actor_id: str, data: CityIssuerIn) -> dict[str, Any]:
    """Add (or replace the keys of) another City Brain issuer; keys given by URL are fetched
    now (so that a wrong URL is a 422 at once), and again every hour by `refresh_city_keys`."""
    if data.jwks is None and data.jwks_url is None:
        raise TrustEntryInvalid("Give the issuer's `jwks`, or a `jwks_url` to fetch it from.")
    try:
        if data.jwks_url is not None:
            check_url(data.jwks_url)
        jwks = (
            msgspec.to_builtins(data.jwks)
            if data.jwks is not None
            else await fetch_jwks(str(data.jwks_url))
        )
    except JwksUnavailable as exc:
        raise TrustEntryInvalid(str(exc)) from None
    entry: dict[str, Any] = {"iss": data.iss, "region": data.region, "jwks": jwks}
    if data.jwks_url is not None:
        entry["jwks_url"] = data.jwks_url

    def edit(current: dict[str, Any]) -> None:
        current["city_issuers"] = [*_without_city(current, data.iss), entry]

    return await _write(actor_id, "city_put", edit)


async def refresh_city_keys() -> int:
    """Fetch the JWKS of every issuer that has a URL; write a new version for those whose
    keys changed. A fetch that fails keeps the keys in force (a city being unreachable for an
    hour must not make its citizens' codes unreadable here). Returns the issuers updated."""
    updated = 0
    for entry in await city_issuers():
        url = entry.get("jwks_url")
        if not url:
            continue
        try:
            jwks = await fetch_jwks(url)
        except JwksUnavailable as exc:
            log.warning("trust list: keys of %s not refreshed: %s", entry["iss"], exc)
            continue
        if jwks == entry["jwks"]:
            continue

        def edit(
            current: dict[str, Any], iss: str = entry["iss"], at: str = url, new: Any = jwks
        ) -> None:
            for issuer in current["city_issuers"]:
                if issuer["iss"] == iss and issuer.get("jwks_url") == at:
                    issuer["jwks"] = new

        await _write("scheduler", "city_jwks_refreshed", edit)
        log.info("trust list: new keys of %s", entry["iss"])
        updated += 1
    return updated


async def remove_city(actor_id: str, iss: str) -> None:
    if not any(entry["iss"] == iss for entry in (await document())["city_issuers"]):
        raise IssuerNotTrusted("That issuer is not in the trust list.")

    def edit(current: dict[str, Any]) -> None:
        current["city_issuers"] = _without_city(current, iss)

    await _write(actor_id, "city_removed", edit)


async def city_issuers() -> list[dict[str, Any]]:
    return list((await document())["city_issuers"])


async def import_dsc(actor_id: str, data: DscImportIn) -> dict[str, Any]:
    """Replace the EU document signers with an imported list (EU gateway shape)."""
    entries = []
    for entry in data.certificates:
        try:
            parse_certificate(entry.rawData, entry.kid, entry.country)
        except TrustListInvalid as exc:
            raise TrustEntryInvalid(str(exc)) from None
        entries.append({"country": entry.country, "kid": entry.kid, "raw_data": entry.rawData})

    def edit(current: dict[str, Any]) -> None:
        current["dsc"] = entries

    return await _write(actor_id, "dsc_imported", edit)


async def put_rules(actor_id: str, rules: AcceptanceRules) -> dict[str, Any]:
    def edit(current: dict[str, Any]) -> None:
        current["rules"] = msgspec.to_builtins(rules)

    return await _write(actor_id, "rules_put", edit)


def forget() -> None:
    global _cache
    _cache = None


async def trust_list() -> tuple[TrustList, AcceptanceRules]:
    """The parsed latest list and rules, reloaded every 30 s (a change applies within that)."""
    global _cache
    if _cache is None or _cache[0] < time.monotonic():
        current = await document()
        rules = msgspec.convert(current.get("rules", {}), AcceptanceRules)
        _cache = (time.monotonic() + RELOAD_SECONDS, from_document(current), rules)
    return _cache[1], _cache[2]


def etag(document_: dict[str, Any]) -> str:
    return f'"trust-v{int(document_["version"])}"'


def issued(document_: dict[str, Any]) -> datetime | None:
    value = document_.get("issued_at")
    return datetime.fromisoformat(value) if value else None

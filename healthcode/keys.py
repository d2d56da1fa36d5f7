"""Code-signing keys: stored in the database (private halves sealed), rotated by generation.

The key of the highest generation is `next`: published in the JWKS but not yet signing, so
that every gate has it before the first code it signs. The one below is `active` (signs),
the one below that `previous` (still verifies the codes of the last 90 seconds); older keys
are retired and verify nothing. `citybrain keys rotate` adds a generation, which moves each
key one step along. A unique generation number makes concurrent rotations safe.

Each process keeps the key objects in memory (verification is on the gate's hot path) and
reloads them every `RELOAD_SECONDS`, or sooner when a code names a kid it has not seen.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from app.database import atomic, fetch
from app.security import (
    b64url_decode,
    ec_key_from_pem,
    ec_key_to_pem,
    ec_thumbprint,
    generate_ec_key,
    get_keyring,
    public_jwk,
)
from healthcode.clock import clock

RELOAD_SECONDS = 30.0
UNKNOWN_KID_RELOAD_SECONDS = 5.0
LIVE_GENERATIONS = 3  # next, active, previous
JWKS_MAX_AGE = 300  # rotate less often than this, so gates always hold the next key


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    generation: int
    public_key: ec.EllipticCurvePublicKey
    jwk: dict[str, str]
    private_sealed: str


@dataclass
class KeySet:
    live: list[LoadedKey]  # highest generation first: next, active, previous
    loaded_at: float
    signing: tuple[str, ec.EllipticCurvePrivateKey] | None = None

    def state(self, kid: str) -> str:
        for index, key in enumerate(self.live):
            if key.kid == kid:
                return ("next", "active", "previous")[index]
        return "retired"

    def verifying_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        for key in self.live:
            if key.kid == kid:
                return key.public_key
        return None


_cache: KeySet | None = None
_lock = asyncio.Lock()
_last_forced = 0.0
_historic: dict[str, ec.EllipticCurvePublicKey] = {}


def _aad(kid: str) -> str:
    return f"healthcode-signing-key:{kid}"


def _new_row(generation: int) -> tuple[str, int, str, str]:
    private = generate_ec_key()
    kid = ec_thumbprint(private.public_key())
    sealed = get_keyring().seal_text(ec_key_to_pem(private), aad=_aad(kid))
    return kid, generation, sealed, json.dumps(public_jwk(private.public_key(), kid))


async def _insert(generation: int) -> bool:
    kid, gen, sealed, jwk = _new_row(generation)
    rows = await fetch(
        "INSERT INTO hc_signing_key (kid, generation, private_sealed, public_jwk, created_at) "
        "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (generation) DO NOTHING RETURNING kid",
        kid,
        gen,
        sealed,
        jwk,
        clock.now(),
    )
    return bool(rows)


async def _top_generation() -> int:
    rows = await fetch("SELECT MAX(generation) AS top FROM hc_signing_key")
    top = rows[0]["top"] if rows else None
    return int(top) if top is not None else 0


async def ensure_keys() -> None:
    """Create the first `active` and `next` keys of a fresh install (safe to race)."""
    if await _top_generation() >= 2:
        return
    async with atomic():
        top = await _top_generation()
        for generation in range(top + 1, 3):
            await _insert(generation)


async def check_sealing() -> None:
    """At start-up: the stored keys open with this process's keyring. A database sealed with
    another `CITYBRAIN_ID_ENC_KEY` (a copied database, a lost key, a dev data dir replaced)
    otherwise fails every code with an opaque 500 at the first scan or declaration."""
    from cryptography.exceptions import InvalidTag

    from app.settings import SettingsError

    rows = await fetch(_LIVE_ROWS)
    try:
        for row in rows:
            get_keyring().open_text(row["private_sealed"], aad=_aad(row["kid"]))
    except InvalidTag:
        raise SettingsError(
            "The health-code signing keys in the database were sealed with another "
            "CITYBRAIN_ID_ENC_KEY: start with the key this database was written with."
        ) from None


async def rotate() -> KeySet:
    """Add a generation: next → active → previous → retired. Returns the fresh key set."""
    await ensure_keys()
    async with atomic():
        await _insert(await _top_generation() + 1)
    return await load(force=True)


_LIVE_ROWS = (
    "SELECT kid, generation, private_sealed, public_jwk FROM hc_signing_key "
    f"ORDER BY generation DESC LIMIT {LIVE_GENERATIONS}"
)


async def load(force: bool = False) -> KeySet:
    """The live keys, from memory unless stale (or `force`).

    The lock only keeps concurrent refreshes to one query; creating the first keys happens
    outside it, so a caller inside a write transaction never waits on a lock holder that
    waits for that transaction."""
    global _cache
    cached = _cache
    if cached is not None and not force and time.monotonic() - cached.loaded_at < RELOAD_SECONDS:
        return cached
    async with _lock:
        if _cache is not None and _cache is not cached and not force:
            return _cache
        rows = await fetch(_LIVE_ROWS)
    if len(rows) < 2:
        await ensure_keys()
        rows = await fetch(_LIVE_ROWS)
    _cache = KeySet(live=[_loaded(row, _cache) for row in rows], loaded_at=time.monotonic())
    return _cache


def _public_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    x, y = (int.from_bytes(b64url_decode(jwk[c]), "big") for c in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def _loaded(row: dict[str, Any], previous: KeySet | None) -> LoadedKey:
    if previous is not None:
        for key in previous.live:
            if key.kid == row["kid"]:
                return key
    jwk = json.loads(row["public_jwk"])
    return LoadedKey(
        row["kid"], int(row["generation"]), _public_key(jwk), jwk, row["private_sealed"]
    )


async def signing_key() -> tuple[str, ec.EllipticCurvePrivateKey]:
    """(kid, private key) of the `active` key."""
    keys = await load()
    if keys.signing is None:
        active = keys.live[1]
        pem = get_keyring().open_text(active.private_sealed, aad=_aad(active.kid))
        keys.signing = (active.kid, ec_key_from_pem(pem))
    return keys.signing


async def verifying_key(kid: str) -> ec.EllipticCurvePublicKey | None:
    """The public key of a live key (next, active or previous); None for retired or unknown."""
    global _last_forced
    keys = await load()
    found = keys.verifying_key(kid)
    if found is None and time.monotonic() - _last_forced > UNKNOWN_KID_RELOAD_SECONDS:
        _last_forced = time.monotonic()
        found = (await load(force=True)).verifying_key(kid)
    return found


async def any_key(kid: str) -> ec.EllipticCurvePublicKey | None:
    """Any key this service ever signed with, retired ones included: for offline records,
    which prove a scan that happened while the key was live."""
    found = await verifying_key(kid)
    if found is None:
        found = _historic.get(kid)
    if found is None:
        rows = await fetch("SELECT public_jwk FROM hc_signing_key WHERE kid = {}", kid)
        if rows:
            found = _public_key(json.loads(rows[0]["public_jwk"]))
            if len(_historic) > 1000:
                _historic.clear()
            _historic[kid] = found
    return found


async def jwks() -> dict[str, list[dict[str, str]]]:
    """The published keys: next, active and previous."""
    return {"keys": [key.jwk for key in (await load()).live]}


async def rotate_command() -> None:
    """`citybrain keys rotate`: open the database, rotate once, print the new states."""
    from app.database import close_engine, open_engine

    await open_engine()
    try:
        keys = await rotate()
        for key in keys.live:
            print(f"{keys.state(key.kid):8} generation {key.generation:4}  kid {key.kid}")
        print(f"Rotated. Gates cache the JWKS for up to {JWKS_MAX_AGE} s: rotate again no sooner.")
    finally:
        await close_engine()


def forget() -> None:
    """Drop the in-memory keys (tests; a process that switches databases)."""
    global _cache, _last_forced
    _cache = None
    _last_forced = 0.0

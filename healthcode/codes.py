"""The code a citizen shows: `CB1:` + a compact ES256 JWS, made with PyJWT.

Claims: `sub` (the citizen id sealed with AES-GCM under a sub-key of the keyring, with the
code's own `jti` as the fresh 96-bit nonce, so two codes of one citizen share no value a
venue could join on, and the server opens it without a look-up table), `colour`, `iat`,
`exp` (90 s later) and `jti`. The header names the signing key by its RFC 7638 thumbprint.
Using the jti as the nonce keeps the code short (a smaller, faster QR).

Codes are made with PyJWT and verified here, field by field, with the cached `cryptography`
key objects (half the time of a generic JWT decode); the signature check itself runs in the
checker process (`healthcode.signatures`), off the event loop. `verify()` never raises
anything but `CodeRejected`, whose `reason` is one of the scan answer's documented reasons:
whatever a gate presents, the caller denies, never fails.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security import b64url, b64url_decode, get_keyring
from app.settings import get_settings
from healthcode import keys
from healthcode.signatures import signatures

PREFIX = "CB1:"
LIFETIME_SECONDS = 90
MAX_CODE_CHARS = 1024
CLOCK_SKEW_SECONDS = 30
ALGORITHM = "ES256"
_SUBJECT_AAD = b"healthcode-subject:v1"
_COLOURS = frozenset({"green", "yellow", "red"})
_LATEST = 2**33  # year 2242: any later `iat` is garbage, and must not overflow a datetime


class CodeRejected(Exception):
    """A presented code that must not pass; `reason` is code_invalid or code_expired."""

    def __init__(self, reason: str, citizen_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.citizen_id = citizen_id


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class VerifiedCode:
    citizen_id: str
    colour: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    kid: str


@lru_cache(maxsize=1)
def _sealer() -> AESGCM:
    return AESGCM(get_keyring().derive("healthcode-subject"))


def _citizen_bytes(citizen_id: str) -> bytes:
    try:
        parsed = uuid.UUID(citizen_id)
    except ValueError:
        return citizen_id.encode()
    return parsed.bytes if str(parsed) == citizen_id else citizen_id.encode()


def seal_subject(citizen_id: str, nonce: bytes) -> str:
    return b64url(_sealer().encrypt(nonce, _citizen_bytes(citizen_id), _SUBJECT_AAD))


def open_subject(sealed: str, nonce: bytes) -> str:
    """The citizen id inside `sub`; raises ValueError (or InvalidTag) when it is not ours."""
    raw = _sealer().decrypt(nonce, b64url_decode(sealed), _SUBJECT_AAD)
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else raw.decode()


async def issue(citizen_id: str, colour: str, now: datetime) -> IssuedCode:
    kid, private_key = await keys.signing_key()
    nonce = os.urandom(12)
    iat = int(now.timestamp())
    payload = {
        "sub": seal_subject(citizen_id, nonce),
        "colour": colour,
        "iat": iat,
        "exp": iat + LIFETIME_SECONDS,
        "jti": b64url(nonce),
        "iss": get_settings().code_issuer,  # so that other cities can trust our keys
    }
    token = jwt.encode(payload, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": None})
    return IssuedCode(PREFIX + token, datetime.fromtimestamp(iat + LIFETIME_SECONDS, UTC))


class _Header(msgspec.Struct):
    alg: str
    kid: str
    crit: list[str] | None = None  # no extension is understood: any `crit` is refused


class _Claims(msgspec.Struct):
    sub: str
    colour: str
    iat: int
    exp: int
    jti: str


_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_HEADERS_KEPT = 64
_headers: dict[str, _Header] = {}  # header segment → parsed: every code of one key shares it


def _header(segment: str) -> _Header:
    header = _headers.get(segment)
    if header is None:
        try:
            header = msgspec.json.decode(b64url_decode(segment), type=_Header)
        except (msgspec.DecodeError, ValueError):
            raise CodeRejected("code_invalid") from None
        if header.alg != ALGORITHM or header.crit is not None:
            raise CodeRejected("code_invalid")
        if len(_headers) >= _HEADERS_KEPT:
            _headers.clear()
        _headers[segment] = header
    return header


def _split(token: str) -> tuple[_Header, bytes, bytes, bytes]:
    """(header, payload JSON, signing input, raw r||s signature) of a compact ES256 JWS."""
    match = _COMPACT.fullmatch(token)
    if match is None:
        raise CodeRejected("code_invalid")
    header = _header(match[1])
    try:
        payload = b64url_decode(match[2])
        signature = b64url_decode(match[3])
    except ValueError:
        raise CodeRejected("code_invalid") from None
    if len(signature) != 64:
        raise CodeRejected("code_invalid")
    return header, payload, token[: match.end(2)].encode(), signature


async def verify(
    code: object, now: datetime, *, check_expiry: bool = True, retired_keys: bool = False
) -> VerifiedCode:
    """Check prefix, algorithm, key, signature, claims and lifetime; open the subject.

    The algorithm is pinned to ES256 before any key is looked up, so `none` or HS256 never
    get that far; the signature is checked against the cached key object.
    Offline records pass `check_expiry=False` (their scan time is checked instead) and
    `retired_keys=True` (the key was live when the gate scanned)."""
    if (
        not isinstance(code, str)
        or not code.startswith(PREFIX)
        or len(code) > MAX_CODE_CHARS
        or not code.isascii()
    ):
        raise CodeRejected("code_invalid")
    header, payload, signing_input, signature = _split(code[len(PREFIX) :])
    public_key = await (
        keys.any_key(header.kid) if retired_keys else keys.verifying_key(header.kid)
    )
    if public_key is None:
        raise CodeRejected("code_invalid")
    if not await signatures.check(header.kid, public_key, signing_input, signature):
        raise CodeRejected("code_invalid")
    try:
        claims = msgspec.json.decode(payload, type=_Claims)
    except (msgspec.DecodeError, ValueError):
        raise CodeRejected("code_invalid") from None
    return _claims(claims, header.kid, now, check_expiry)


def _claims(claims: _Claims, kid: str, now: datetime, check_expiry: bool) -> VerifiedCode:
    sub, colour, iat, exp, jti = claims.sub, claims.colour, claims.iat, claims.exp, claims.jti
    if (
        colour not in _COLOURS
        or not 0 < iat < _LATEST
        or not 0 < exp - iat <= LIFETIME_SECONDS
        or len(jti) != 16
    ):
        raise CodeRejected("code_invalid")
    try:
        citizen_id = open_subject(sub, b64url_decode(jti))
    except Exception:
        raise CodeRejected("code_invalid") from None
    issued_at = datetime.fromtimestamp(iat, UTC)
    expires_at = datetime.fromtimestamp(exp, UTC)
    if check_expiry:
        if issued_at > now + timedelta(seconds=CLOCK_SKEW_SECONDS):
            raise CodeRejected("code_invalid", citizen_id)
        if now >= expires_at:
            raise CodeRejected("code_expired", citizen_id)
    return VerifiedCode(citizen_id, colour, jti, issued_at, expires_at, kid)

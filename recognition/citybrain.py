"""Codes of another City Brain (`CB1:` + ES256 JWS carrying `iss`), checked with the JWKS the
trust list holds for that `iss`. The colour is the one the code states: we cannot ask the
other city, and its signature is what vouches for it. The subject stays sealed by its issuer;
the gate records a keyed hash of (`iss`, `sub`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import msgspec

from recognition.trust import TrustList
from recognition.verdict import Rejection, Verdict

PREFIX = "CB1:"
MAX_CODE_CHARS = 1024
CLOCK_SKEW = timedelta(seconds=30)  # the same tolerance our own codes get
_COLOURS = frozenset({"green", "yellow", "red"})
_LATEST = 2**33


class _Header(msgspec.Struct):
    alg: str
    kid: str
    crit: list[str] | None = None


class _Claims(msgspec.Struct):
    sub: str
    colour: str
    iat: int
    exp: int
    iss: str | None = None


def issuer_of(code: str) -> str | None:
    """The `iss` a `CB1:` code claims (unverified: only to pick the verifying path)."""
    try:
        payload = jwt.api_jws.PyJWS().decode_complete(
            code[len(PREFIX) :], options={"verify_signature": False}
        )["payload"]
        return msgspec.json.decode(payload, type=_Claims).iss
    except (jwt.PyJWTError, msgspec.DecodeError, ValueError, TypeError):
        return None


def verify(code: str, trust: TrustList, at: datetime) -> Verdict:
    """Verify a City Brain code of a trusted issuer at `at`; raises `Rejection`."""
    if len(code) > MAX_CODE_CHARS or not code.isascii():
        raise Rejection("undecodable")
    token = code[len(PREFIX) :]
    try:
        header = msgspec.convert(jwt.get_unverified_header(token), type=_Header)
        unverified = jwt.api_jws.PyJWS().decode_complete(token, options={"verify_signature": False})
        claims = msgspec.json.decode(unverified["payload"], type=_Claims)
    except (jwt.PyJWTError, msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError):
        raise Rejection("undecodable") from None
    if header.alg != "ES256" or header.crit is not None or claims.colour not in _COLOURS:
        raise Rejection("undecodable", claims.iss)
    issuer = trust.cities.get(claims.iss or "")
    key = issuer.keys.get(header.kid) if issuer else None
    if key is None:
        raise Rejection("unknown_key", claims.iss)
    try:
        jwt.api_jws.PyJWS().decode_complete(token, key, algorithms=["ES256"])
    except jwt.PyJWTError:
        raise Rejection("signature_invalid", claims.iss) from None
    if not 0 < claims.iat < _LATEST or not claims.iat < claims.exp < _LATEST:
        raise Rejection("undecodable", claims.iss)
    issued_at = datetime.fromtimestamp(claims.iat, UTC)
    expires_at = datetime.fromtimestamp(claims.exp, UTC)
    if issued_at > at + CLOCK_SKEW:
        raise Rejection("not_yet_valid", claims.iss)
    if at >= expires_at:
        raise Rejection("expired", claims.iss)
    return Verdict(
        valid=True,
        format="citybrain",
        issuer=claims.iss,
        expires_at=expires_at,
        colour=claims.colour,
        subject=f"{claims.iss}|{claims.sub}",
    )

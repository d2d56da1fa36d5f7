"""Forged and broken bearer tokens, built from a valid one, that every endpoint must refuse."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from app.security import b64url, ec_key_to_pem, generate_ec_key, get_keyring


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def alg_none(claims: dict[str, Any]) -> str:
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC keyed with the server's public key PEM."""
    public_pem = (
        get_keyring()
        .signing_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tampered(token: str, **changes: Any) -> str:
    """The same signature over changed claims."""
    header, _, signature = token.split(".")
    return f"{header}.{_segment({**claims_of(token), **changes})}.{signature}"


def signed_by_stranger(claims: dict[str, Any]) -> str:
    key = generate_ec_key()
    return jwt.encode(claims, ec_key_to_pem(key), algorithm="ES256")


def reissued(claims: dict[str, Any], **changes: Any) -> str:
    """A token really signed by the server's key, with changed claims (audience, expiry…)."""
    keyring = get_keyring()
    payload = {**claims, **changes}
    return jwt.encode(
        payload, keyring.signing_key, algorithm="ES256", headers={"kid": keyring.signing_kid}
    )


def forged_variants(valid_token: str) -> dict[str, str]:
    """Every way a caller may present a token that must be refused, built from a valid one."""
    claims = claims_of(valid_token)
    now = int(time.time())
    return {
        "expired": reissued(claims, iat=now - 3600, exp=now - 60),
        "tampered": tampered(valid_token, sub="someone-else"),
        "alg_none": alg_none(claims),
        "hs256_public_key": hs256_with_public_key(claims),
        "other_audience": reissued(claims, aud="app:medical"),
        "gate_audience": reissued(claims, aud="gate"),
        "other_issuer": reissued(claims, iss="elsewhere"),
        "stranger_key": signed_by_stranger(claims),
        "no_expiry": reissued({k: v for k, v in claims.items() if k != "exp"}),
        "garbage": "not-a-jwt",
    }

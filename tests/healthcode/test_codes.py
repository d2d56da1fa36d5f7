"""The code: what it carries, who can verify it, and every malformed code a gate may see."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jws
from joserfc.jwk import KeySet

from app.security import b64url, b64url_decode, ec_thumbprint, generate_ec_key
from app.settings import get_settings
from healthcode import codes, keys
from healthcode.clock import clock
from tests.app.portal import in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api


def parts(code: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = code.removeprefix("CB1:").split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def compact(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return ".".join(
        b64url(json.dumps(x, separators=(",", ":")).encode()) for x in (header, payload)
    )


def assert_denied(body: dict[str, Any], reason: str) -> None:
    assert body["result"] == "deny"
    assert body["reason"] == reason
    assert body["colour"] is None and body["name_masked"] is None


class TestTheCode:
    async def test_claims_and_header(self, api: Api) -> None:
        citizen, status = await declared(api)
        header, payload, _ = parts(status["code"])
        assert header == {"alg": "ES256", "kid": header["kid"]}
        assert set(payload) == {"sub", "colour", "iat", "exp", "jti", "iss"}
        assert payload["iss"] == get_settings().code_issuer  # so other cities can trust us
        assert payload["exp"] - payload["iat"] == 90
        assert payload["colour"] == "green"
        assert citizen.id not in status["code"] and citizen.phone not in status["code"]

    async def test_two_codes_share_nothing_a_venue_could_join_on(self, api: Api) -> None:
        citizen, status = await declared(api)
        _, first, _ = parts(status["code"])
        _, second, _ = parts(await fresh_code(api, citizen))
        assert first["sub"] != second["sub"] and first["jti"] != second["jti"]

    async def test_joserfc_verifies_a_code_against_the_jwks(self, api: Api) -> None:
        citizen, _ = await declared(api)
        code = await fresh_code(api, citizen)
        response = await api.client.get("/.well-known/jwks.json")
        assert response.status_code == 200
        assert "max-age" in response.headers["cache-control"]
        key_set = KeySet.import_key_set(response.json())
        for key in response.json()["keys"]:
            assert key["kid"] == key_set.get_by_kid(key["kid"]).thumbprint()
        verified = jws.deserialize_compact(code.removeprefix("CB1:"), key_set, algorithms=["ES256"])
        assert json.loads(verified.payload)["colour"] == "green"


def _hs256_with_public_key(code: str, public_pem: bytes) -> str:
    header, payload, _ = parts(code)
    signing_input = compact({**header, "alg": "HS256"}, payload)
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"CB1:{signing_input}.{b64url(mac)}"


async def _forged(api: Api, code: str, kind: str) -> str:
    header, payload, signature = parts(code)
    if kind == "alg_none":
        return f"CB1:{compact({**header, 'alg': 'none'}, payload)}."
    if kind == "hs256_public_key":
        published = (await api.client.get("/.well-known/jwks.json")).json()["keys"]
        jwk = next(k for k in published if k["kid"] == header["kid"])  # rebuilt as a PEM
        pem = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(jwk)).public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _hs256_with_public_key(code, pem)
    if kind == "unknown_kid":
        other = generate_ec_key()
        kid = ec_thumbprint(other.public_key())
        return "CB1:" + jwt.encode(
            payload, other, algorithm="ES256", headers={"kid": kid, "typ": None}
        )
    if kind == "tampered":
        longer = {**payload, "colour": "green", "exp": payload["exp"] + 600}
        return f"CB1:{compact(header, longer)}.{signature}"
    if kind == "foreign_subject":
        kid, private = await in_app(api.client, keys.signing_key)
        bogus = {**payload, "sub": b64url(b"\x00" * 32)}
        return "CB1:" + jwt.encode(
            bogus, private, algorithm="ES256", headers={"kid": kid, "typ": None}
        )
    if kind.startswith("claims:"):
        kid, private = await in_app(api.client, keys.signing_key)
        odd = {**payload, **json.loads(kind.removeprefix("claims:"))}
        return "CB1:" + jwt.encode(
            odd, private, algorithm="ES256", headers={"kid": kid, "typ": None}
        )
    if kind == "crit":
        kid, private = await in_app(api.client, keys.signing_key)
        extra = {"kid": kid, "typ": None, "crit": ["exp"]}
        return "CB1:" + jwt.encode(payload, private, algorithm="ES256", headers=extra)
    if kind == "wrong_prefix":
        return code.replace("CB1:", "CB9:")
    if kind == "no_prefix":
        return code.removeprefix("CB1:")
    raise AssertionError(kind)


class TestMalformedCodes:
    @pytest.mark.parametrize(
        "code",
        [
            "",
            "CB1:",
            "CB1:" + "A" * 100_000,
            "CB1:健康码.码.码",
            "CB1:a.b.c",
            "CB1:" + b64url(b"[1]") + "." + b64url(b"{}") + ".x",
            "CB1:eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln",
            "\x00\x01\x02",
            "CB1:" + "." * 5000,
        ],
        ids=[
            "empty",
            "prefix_only",
            "100_kb",
            "non_ascii",
            "garbage",
            "header_not_object",
            "payload_not_json",
            "control_chars",
            "dots",
        ],
    )
    async def test_garbage_is_denied_as_invalid(self, api: Api, code: str) -> None:
        gate = await api.gate()
        assert_denied(await scan(api, gate, code), "code_invalid")

    @pytest.mark.parametrize(
        "kind",
        [
            "alg_none",
            "hs256_public_key",
            "unknown_kid",
            "tampered",
            "foreign_subject",
            "wrong_prefix",
            "no_prefix",
            "crit",
            'claims:{"iat": 100000000000000000000, "exp": 100000000000000000090}',
            'claims:{"iat": -5, "exp": 10}',
            'claims:{"colour": true}',
            'claims:{"colour": "blue"}',
            'claims:{"jti": 12}',
            'claims:{"exp": 1}',
            'claims:{"sub": null}',
        ],
    )
    async def test_forgeries_are_denied_as_invalid(self, api: Api, kind: str) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        forged = await _forged(api, await fresh_code(api, citizen), kind)
        assert_denied(await scan(api, gate, forged), "code_invalid")

    async def test_an_expired_code_is_denied(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        code = await fresh_code(api, citizen)
        clock.advance(timedelta(seconds=91))
        assert_denied(await scan(api, gate, code), "code_expired")

    async def test_a_code_from_the_future_is_invalid(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        clock.advance(timedelta(minutes=10))
        code = await fresh_code(api, citizen)
        clock.reset()
        assert_denied(await scan(api, gate, code), "code_invalid")

    async def test_a_non_string_code_is_a_validation_error(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(
            "/api/v1/gate/scans", json={"code": 7}, headers=gate.headers
        )
        assert response.status_code == 422


class TestParsedHeaders:
    """Every code of one key shares its header segment: parsed once, kept in a small map."""

    async def test_many_distinct_headers_keep_the_map_small(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        header, payload, signature = parts(await fresh_code(api, citizen))
        for n in range(codes._HEADERS_KEPT + 10):
            odd = compact({**header, "x": n}, payload) + "." + signature
            assert_denied(await scan(api, gate, "CB1:" + odd), "code_invalid")
            assert len(codes._headers) <= codes._HEADERS_KEPT
        assert (await scan(api, gate, await fresh_code(api, citizen)))["result"] == "pass"

    async def test_a_refused_header_is_not_kept(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        header, payload, signature = parts(await fresh_code(api, citizen))
        for refused in ({**header, "alg": "none"}, {**header, "crit": ["exp"]}):
            segment = compact(refused, payload).split(".")[0]
            for _ in range(2):
                forged = f"CB1:{segment}.{compact(refused, payload).split('.')[1]}.{signature}"
                assert_denied(await scan(api, gate, forged), "code_invalid")
            assert segment not in codes._headers

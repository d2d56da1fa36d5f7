"""The trust list as the verifier holds it: key objects by issuer and by kid.

One document shape is served to gates (`GET /api/v1/gate/trust-list`) and read by
`citybrain codes verify --trust-list FILE`, so an offline gate and the command verify with
exactly what the server verifies with. A file in the EU gateway's shape
(`{"certificates": [{"country", "kid", "rawData"}]}`) is read as well, so a published DSC
list can be used as it is.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.security import b64url_decode

_B64 = base64.b64decode


class TrustListInvalid(ValueError):
    """A trust list (or one entry of it) that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class CityIssuer:
    iss: str
    region: str
    keys: dict[str, ec.EllipticCurvePublicKey]


@dataclass(frozen=True)
class DocumentSigner:
    kid: bytes
    country: str
    certificate: x509.Certificate


@dataclass
class TrustList:
    version: int = 0
    cities: dict[str, CityIssuer] = field(default_factory=dict)
    signers: dict[bytes, list[DocumentSigner]] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)

    def add_signer(self, signer: DocumentSigner) -> None:
        self.signers.setdefault(signer.kid, []).append(signer)


def ec_key_from_jwk(jwk: Any) -> tuple[str, ec.EllipticCurvePublicKey]:
    """(kid, key) of a P-256 public JWK; anything else is refused (codes are ES256 only)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise TrustListInvalid("a JWKS key is not an EC P-256 public key")
    kid, x, y = jwk.get("kid"), jwk.get("x"), jwk.get("y")
    if not all(isinstance(part, str) and part for part in (kid, x, y)) or "d" in jwk:
        raise TrustListInvalid("a JWKS key lacks kid, x or y, or carries a private part")
    try:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(str(x))),
            int.from_bytes(b64url_decode(str(y))),
            ec.SECP256R1(),
        )
        return str(kid), numbers.public_key()
    except ValueError:
        raise TrustListInvalid(f"JWKS key {kid} is not a point on P-256") from None


def parse_jwks(jwks: Any) -> dict[str, ec.EllipticCurvePublicKey]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise TrustListInvalid("a JWKS must be an object with a `keys` array")
    return dict(ec_key_from_jwk(jwk) for jwk in jwks["keys"])


def parse_certificate(raw_b64: Any, kid_b64: Any, country: Any) -> DocumentSigner:
    """One DSC entry: base64 DER certificate, base64 8-byte kid, country code."""
    if not all(isinstance(value, str) for value in (raw_b64, kid_b64, country)):
        raise TrustListInvalid("a certificate entry needs country, kid and rawData strings")
    try:
        certificate = x509.load_der_x509_certificate(_B64(raw_b64, validate=True))
        kid = _B64(kid_b64, validate=True)
    except (ValueError, binascii.Error):
        raise TrustListInvalid(f"certificate {kid_b64} is not base64 DER") from None
    if not isinstance(certificate.public_key(), ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TrustListInvalid(f"certificate {kid_b64} holds neither an EC nor an RSA key")
    return DocumentSigner(kid, str(country), certificate)


def from_document(document: Any) -> TrustList:
    """Our served shape, or the EU gateway's `certificates` shape; raises TrustListInvalid."""
    if not isinstance(document, dict):
        raise TrustListInvalid("a trust list is a JSON object")
    trust = TrustList(version=int(document.get("version", 0) or 0))
    for entry in document.get("city_issuers", []) or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("iss"), str):
            raise TrustListInvalid("a city issuer needs an `iss`")
        iss = entry["iss"]
        trust.cities[iss] = CityIssuer(
            iss, str(entry.get("region", "")), parse_jwks(entry.get("jwks"))
        )
    for entry in document.get("dsc", []) or []:
        if not isinstance(entry, dict):
            raise TrustListInvalid("a dsc entry is an object")
        trust.add_signer(
            parse_certificate(entry.get("raw_data"), entry.get("kid"), entry.get("country"))
        )
    for entry in document.get("certificates", []) or []:
        if not isinstance(entry, dict):
            raise TrustListInvalid("a certificates entry is an object")
        trust.add_signer(
            parse_certificate(entry.get("rawData"), entry.get("kid"), entry.get("country"))
        )
    rules = document.get("rules", {})
    trust.rules = rules if isinstance(rules, dict) else {}
    return trust

"""Codes and signer certificates made in the tests: EU DCCs signed as a national backend
would sign them, and City Brain codes of a second, foreign city."""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID, ObjectIdentifier

from app.security import ec_thumbprint, public_jwk

EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
EKU_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the clock these tests verify at


@dataclass(frozen=True)
class Signer:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    country: str = "AT"

    @property
    def kid(self) -> bytes:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).digest()[:8]

    def entry(self) -> dict[str, str]:
        """The EU gateway trust-list entry of this certificate."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "country": self.country,
            "kid": base64.b64encode(self.kid).decode(),
            "rawData": base64.b64encode(der).decode(),
        }


def signer(
    *,
    rsa_key: bool = False,
    not_before: datetime = T0 - timedelta(days=365),
    not_after: datetime = T0 + timedelta(days=365),
    usages: list[str] | None = None,
    raw_usage: bytes | None = None,
    country: str = "AT",
) -> Signer:
    """A self-signed document signer; `raw_usage` is the DER of an extended key usage that the
    builder would refuse (an empty one, as the EU's vector CO15 signer carries, or garbage)."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"DSC {country} test"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if usages is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ObjectIdentifier(oid) for oid in usages]), critical=False
        )
    if raw_usage is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.OID_EXTENDED_KEY_USAGE, raw_usage), critical=False
        )
    return Signer(key, builder.sign(key, hashes.SHA256()), country)


def vaccination(**changes: Any) -> dict[str, Any]:
    entry = {
        "tg": "840539006",
        "vp": "1119349007",
        "mp": "EU/1/20/1528",
        "ma": "ORG-100030215",
        "dn": 2,
        "sd": 2,
        "dt": "2026-05-01",
        "co": "AT",
        "is": "Ministry of Health, Austria",
        "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
    }
    entry.update(changes)
    return {
        "ver": "1.3.0",
        "nam": {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Gabriele", "gnt": "GABRIELE"},
        "dob": "1998-02-26",
        "v": [entry],
    }


def test_statement(**changes: Any) -> dict[str, Any]:
    entry = {
        "tg": "840539006",
        "tt": "LP6464-4",
        "nm": "Roche LightCycler qPCR",
        "sc": "2026-06-01T08:00:00Z",
        "tr": "260415000",
        "tc": "Testing centre Vienna",
        "co": "AT",
        "is": "Ministry of Health, Austria",
        "ci": "URN:UVCI:01:AT:TEST#1",
    }
    entry.update(changes)
    return {
        "ver": "1.3.0",
        "nam": {"fnt": "MUSTERMANN", "gnt": "MAX"},
        "dob": "1990-01-01",
        "t": [entry],
    }


def recovery(**changes: Any) -> dict[str, Any]:
    entry = {
        "tg": "840539006",
        "fr": "2026-05-01",
        "co": "AT",
        "is": "Ministry of Health",
        "df": "2026-05-12",
        "du": "2026-10-28",
        "ci": "URN:UVCI:01:AT:REC#2",
    }
    entry.update(changes)
    return {
        "ver": "1.3.0",
        "nam": {"fnt": "MUSTER", "gnt": "ANNA"},
        "dob": "1985-07-07",
        "r": [entry],
    }


def sign1(
    hcert: Any,
    by: Signer,
    *,
    iat: datetime = T0 - timedelta(days=1),
    exp: datetime = T0 + timedelta(days=30),
    kid_unprotected: bool = False,
    tamper: bool = False,
    claims: Any = None,
) -> bytes:
    """The COSE_Sign1 (tag 18) of a CWT carrying `hcert`, as CBOR bytes."""
    if claims is None:
        claims = {1: by.country, 4: int(exp.timestamp()), 6: int(iat.timestamp()), -260: {1: hcert}}
    payload = cbor2.dumps(claims)
    alg = -37 if isinstance(by.key, rsa.RSAPrivateKey) else -7
    protected_map: dict[int, Any] = {1: alg} if kid_unprotected else {1: alg, 4: by.kid}
    protected = cbor2.dumps(protected_map)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    if isinstance(by.key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = by.key.sign(to_sign, pss, hashes.SHA256())
    else:
        r, s = decode_dss_signature(by.key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32) + s.to_bytes(32)
    if tamper:
        payload = cbor2.dumps({**claims, 1: "XX"})
    unprotected = {4: by.kid} if kid_unprotected else {}
    return cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))


def hc1(message: bytes) -> str:
    return "HC1:" + base45.b45encode(zlib.compress(message, 9)).decode()


def dcc(hcert: Any, by: Signer, **options: Any) -> str:
    return hc1(sign1(hcert, by, **options))


@dataclass(frozen=True)
class City:
    """A second City Brain: its `iss`, its signing key and the codes it issues."""

    iss: str
    key: ec.EllipticCurvePrivateKey
    region: str = "310000"

    @property
    def kid(self) -> str:
        return ec_thumbprint(self.key.public_key())

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key.public_key(), self.kid)]}

    def entry(self) -> dict[str, Any]:
        return {"iss": self.iss, "region": self.region, "jwks": self.jwks()}

    def code(
        self,
        *,
        colour: str = "green",
        iat: datetime = T0,
        lifetime: int = 90,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> str:
        now = int(iat.timestamp())
        claims = {
            "sub": "c2VhbGVkLWJ5LXNoYW5naGFp",
            "colour": colour,
            "iat": now,
            "exp": now + lifetime,
            "jti": "AAAAAAAAAAAAAAAA",
            "iss": self.iss,
        }
        return "CB1:" + jwt.encode(
            claims, key or self.key, algorithm="ES256", headers={"kid": self.kid, "typ": None}
        )


def city(iss: str = "https://citybrain.shanghai.example") -> City:
    return City(iss, ec.generate_private_key(ec.SECP256R1()))


def trust_document(signers: list[Signer] = (), cities: list[City] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "version": 1,
        "city_issuers": [c.entry() for c in cities],
        "certificates": [s.entry() for s in signers],
    }

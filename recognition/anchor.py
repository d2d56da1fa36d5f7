"""The detached signature of an imported EU DSC list, checked against a configured anchor.

National backends publish the document signers they trust with a signature by their own
key; `CITYBRAIN_DSC_TRUST_ANCHOR` names that key's certificate (PEM). When it is set, the
body of `PUT /api/v1/admin/trust-list/dsc` must come with `Trust-List-Signature`: the base64
of a signature over the exact body bytes (ECDSA with SHA-256, DER as `cryptography` and
OpenSSL write it, for an EC anchor; RSASSA-PSS or PKCS#1 v1.5 with SHA-256 for an RSA one).
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from app.settings import get_settings

SIGNATURE_HEADER = "Trust-List-Signature"


class AnchorInvalid(Exception):
    """The configured anchor is no readable PEM certificate of an EC or RSA key."""


class SignatureRefused(Exception):
    """The list's signature is missing, malformed or not the anchor's."""


@lru_cache(maxsize=4)
def load_anchor(path: str) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise AnchorInvalid(f"not a readable PEM certificate ({type(exc).__name__})") from None
    if not isinstance(certificate.public_key(), ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise AnchorInvalid("the certificate holds neither an EC nor an RSA key")
    return certificate


def check(body: bytes, signature_b64: str | None) -> bool:
    """Raise `SignatureRefused` unless the body is signed by the anchor; returns whether an
    anchor is configured (without one, lists are taken unsigned)."""
    path = get_settings().dsc_trust_anchor
    if not path:
        return False
    if not signature_b64:
        raise SignatureRefused(f"This server takes only signed lists: send {SIGNATURE_HEADER}.")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused(f"{SIGNATURE_HEADER} is not base64.") from None
    key = load_anchor(path).public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        else:
            assert isinstance(key, rsa.RSAPublicKey)
            _verify_rsa(key, signature, body)
    except InvalidSignature:
        raise SignatureRefused("The list's signature is not the trust anchor's.") from None
    return True


def _verify_rsa(key: rsa.RSAPublicKey, signature: bytes, body: bytes) -> None:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    try:
        key.verify(signature, body, pss, hashes.SHA256())
    except InvalidSignature:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())

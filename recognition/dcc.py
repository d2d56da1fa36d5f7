"""EU Digital COVID Certificates (`HC1:`): base45 → zlib → COSE_Sign1 → CWT → hcert.

Each layer is a kept library (`base45`, `zlib`, `cbor2`, `cryptography`, `jsonschema_rs`);
this module only walks them in the order of the EU's hcert specification, and turns any
failure into one `Rejection` reason. The signer is found by `kid` (protected header first,
unprotected otherwise) among the trust list's document signer certificates; the certificate
is judged at the verification instant, and its extended key usage, when it names any hcert
statement type, limits the statements it may sign.

The first failing check names the reason, in this order: decoding, kid, signature, the
statement kind against the key usage, the signer's validity and the CWT's `iat`/`exp`, and
last the payload schema, so that each of the EU's test vectors (`tests/recognition/vectors/`)
fails on the check it was made for.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import base45
import cbor2
import jsonschema_rs
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from recognition.trust import DocumentSigner, TrustList
from recognition.verdict import Kind, Rejection, Verdict

PREFIX = "HC1:"
MAX_CODE_CHARS = 8192
MAX_PAYLOAD_BYTES = 65536
COSE_SIGN1_TAG = 18
CWT_TAG = 61
HCERT_CLAIM = -260
ES256, PS256 = -7, -37
_CWT_ISS, _CWT_EXP, _CWT_IAT = 1, 4, 6
_GROUPS: dict[str, Kind] = {"v": "vaccination", "t": "test", "r": "recovery"}
_USAGE: dict[str, Kind] = {}
for _root in ("1.3.6.1.4.1.1847.2021.1", "1.3.6.1.4.1.0.1847.2021.1"):
    _USAGE.update({f"{_root}.1": "test", f"{_root}.2": "vaccination", f"{_root}.3": "recovery"})


@lru_cache(maxsize=1)
def _schema() -> jsonschema_rs.Draft202012Validator:
    text = resources.files("recognition").joinpath("dcc.schema.json").read_text("utf-8")
    return jsonschema_rs.Draft202012Validator(json.loads(text), validate_formats=True)


def _plain(value: Any) -> Any:
    """JSON-shaped copy of decoded CBOR (cbor2 may hand out frozendicts and tuples)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _sign1(raw: bytes) -> tuple[bytes, dict[Any, Any], dict[Any, Any], bytes, bytes]:
    """(protected bytes, protected, unprotected, payload, signature) of a COSE_Sign1."""
    try:
        message = cbor2.loads(raw)
        while isinstance(message, cbor2.CBORTag) and message.tag in (CWT_TAG, COSE_SIGN1_TAG):
            message = message.value
        protected_bytes, unprotected, payload, signature = message
        protected = _plain(cbor2.loads(protected_bytes)) if protected_bytes else {}
        unprotected = _plain(unprotected)
    except (ValueError, TypeError, EOFError, cbor2.CBORDecodeError):
        raise Rejection("undecodable") from None
    if not (
        isinstance(protected_bytes, bytes)
        and isinstance(protected, dict)
        and isinstance(unprotected, dict)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise Rejection("undecodable")
    return protected_bytes, protected, unprotected, payload, signature


def _signature_holds(signer: DocumentSigner, alg: Any, to_sign: bytes, signature: bytes) -> bool:
    key = signer.certificate.public_key()
    try:
        if alg == ES256 and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
            der = encode_dss_signature(
                int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
            )
            key.verify(der, to_sign, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == PS256 and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
            )
            key.verify(signature, to_sign, pss, hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def _usages(certificate: x509.Certificate) -> set[Kind]:
    """The statement kinds the certificate may sign; empty means any (no hcert usage named).

    `cryptography` refuses a whole certificate's extensions when one breaks RFC 5280, such as
    an extended key usage naming no purpose at all (the EU's vector CO15 signer has one); that
    extension is then read with `asn1crypto`, and one neither library reads limits the signer
    to nothing (`key_usage`), never to everything."""
    oids: list[str] | None
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        oids = [oid.dotted_string for oid in usage]
    except x509.ExtensionNotFound:
        return set()
    except ValueError:
        oids = _lenient_usage_oids(certificate)
    if oids is None:
        raise Rejection("key_usage")
    return {_USAGE[oid] for oid in oids if oid in _USAGE}


def _lenient_usage_oids(certificate: x509.Certificate) -> list[str] | None:
    """The extended key usage OIDs as `asn1crypto` reads them; None when it cannot either."""
    try:
        der = certificate.public_bytes(serialization.Encoding.DER)
        value = asn1_x509.Certificate.load(der).extended_key_usage_value
        return [] if value is None else [str(oid.dotted) for oid in value]
    except (ValueError, TypeError, KeyError):
        return None


def _moment(claims: dict[Any, Any], label: int) -> datetime | None:
    value = claims.get(label)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2**33:
        raise Rejection("undecodable")
    return datetime.fromtimestamp(value, UTC)


def _decompressed(code: str) -> bytes:
    try:
        compressed = base45.b45decode(code[len(PREFIX) :])
    except (ValueError, KeyError, IndexError, TypeError):
        raise Rejection("undecodable") from None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise Rejection("undecodable") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise Rejection("undecodable")
    return bytes(raw)


def verify(code: str, trust: TrustList, at: datetime) -> Verdict:
    """Verify an `HC1:` code at `at`; raises `Rejection` with the first failing check."""
    if len(code) > MAX_CODE_CHARS:
        raise Rejection("undecodable")
    protected_bytes, protected, unprotected, payload, signature = _sign1(_decompressed(code))
    try:
        claims = _plain(cbor2.loads(payload))
    except (ValueError, TypeError, EOFError, cbor2.CBORDecodeError):
        raise Rejection("undecodable") from None
    if not isinstance(claims, dict):
        raise Rejection("undecodable")
    issuer = claims.get(_CWT_ISS) if isinstance(claims.get(_CWT_ISS), str) else None
    kid = protected.get(4, unprotected.get(4))
    signers = trust.signers.get(kid, []) if isinstance(kid, bytes) else []
    if not signers:
        raise Rejection("unknown_key", issuer)
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    alg = protected.get(1, unprotected.get(1))
    signer = next((s for s in signers if _signature_holds(s, alg, to_sign, signature)), None)
    if signer is None:
        raise Rejection("signature_invalid", issuer)
    issuer = issuer or signer.country
    hcert = claims.get(HCERT_CLAIM)
    certificate = hcert.get(1) if isinstance(hcert, dict) else None
    if not isinstance(certificate, dict):
        raise Rejection("schema_invalid", issuer)
    groups = [kind for group, kind in _GROUPS.items() if group in certificate]
    if len(groups) != 1:  # the schema says so too; the key usage needs the one kind first
        raise Rejection("schema_invalid", issuer)
    kind = groups[0]
    usages = _usages(signer.certificate)
    if usages and kind not in usages:
        raise Rejection("key_usage", issuer)
    _in_force(claims, signer, issuer, at)
    try:
        conforms = _schema().is_valid(certificate)
    except (ValueError, TypeError):
        conforms = False
    if not conforms:
        raise Rejection("schema_invalid", issuer)
    return _admitted(certificate, kind, claims, issuer)


def _in_force(claims: dict[Any, Any], signer: DocumentSigner, issuer: str, at: datetime) -> None:
    """The signer's certificate, then the CWT's `iat`/`exp`, at the verification instant.

    Judged before the payload: the EU's vectors for these checks (CO16, CO17) carry payloads
    that no schema version accepts, and a time that is wrong is wrong whatever the payload."""
    dsc = signer.certificate
    if at < dsc.not_valid_before_utc:
        raise Rejection("not_yet_valid", issuer)
    if at > dsc.not_valid_after_utc:
        raise Rejection("expired", issuer)
    expires_at, issued_at = _moment(claims, _CWT_EXP), _moment(claims, _CWT_IAT)
    if issued_at is not None and issued_at > at:
        raise Rejection("not_yet_valid", issuer)
    if expires_at is not None and at >= expires_at:
        raise Rejection("expired", issuer)


def _admitted(
    certificate: dict[str, Any], kind: Kind, claims: dict[Any, Any], issuer: str
) -> Verdict:
    name = certificate["nam"]
    subject = "|".join(
        (str(name.get("fnt", "")), str(name.get("gnt", "")), str(certificate["dob"]))
    )
    spelled = " ".join(str(name[part]) for part in ("gn", "fn") if name.get(part))
    return Verdict(
        valid=True,
        format="eu-dcc",
        issuer=issuer,
        kind=kind,
        expires_at=_moment(claims, _CWT_EXP),
        subject=subject,
        name=spelled or str(name.get("fnt", "")),
        payload=certificate,
    )

"""Key material and the primitives every domain uses: tokens, sealing, keyed hashes.

Keys come from settings. In `dev` and `test`, missing keys are generated once under
`<data_dir>/keys/` (never committed: `var/` is ignored); `production` refuses to start with
generated keys, so a forgotten secret is a start-up error, not a silent weak default.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.settings import Settings, SettingsError, get_settings

TOKEN_ALGORITHM = "ES256"  # noqa: S105 (an algorithm name, not a secret)
ISSUER = "citybrain"
VERIFIED_TOKEN_CACHE = 20_000  # access tokens remembered as verified, per process


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64url_decode(text: str) -> bytes:
    """`base64.urlsafe_b64decode` with the padding restored, in one C call (a code holds
    five of these; raises ValueError on non-ASCII text or bad padding, as that does)."""
    raw = text.encode("ascii")
    return binascii.a2b_base64(raw.translate(_FROM_URLSAFE) + b"=" * (-len(raw) % 4))


def new_id() -> str:
    return str(uuid.uuid4())


class _RandomPool:
    """`os.urandom` bytes fetched 4 KiB at a time: the same randomness, one system call (and
    one GIL release, which hands the GIL to any waiting thread) per few hundred ids."""

    def __init__(self, chunk: int = 4096) -> None:
        self._chunk = chunk
        self._pool = b""
        self._used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bytes:
        with self._lock:
            if self._used + size > len(self._pool):
                self._pool, self._used = os.urandom(max(self._chunk, size)), 0
            start, self._used = self._used, self._used + size
        return self._pool[start : start + size]


_random_pool = _RandomPool()


def new_time_id() -> str:
    """A UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then 74 random bits), for append-heavy
    tables: consecutive ids land on the same index page instead of a random one, which on
    the scan log more than halves what each group commit writes."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(_random_pool.take(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def hash_secret(secret: str) -> str:
    """Hash of a high-entropy secret (refresh tokens, device and client secrets)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def ec_thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint of a P-256 key."""
    numbers = public_key.public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "alg": TOKEN_ALGORITHM,
        "use": "sig",
    }


def generate_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def ec_key_to_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def ec_key_from_pem(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SettingsError("CITYBRAIN_TOKEN_SIGNING_KEY must be an EC P-256 private key (PEM)")
    return key


@dataclass(frozen=True)
class Keyring:
    hmac_key: bytes
    enc_key: bytes
    signing_key: ec.EllipticCurvePrivateKey
    signing_kid: str
    generated: bool
    _derived: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    _verified: dict[str, tuple[float, str, dict[str, Any]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    # Keyed hashes ---------------------------------------------------------------------
    def derive(self, label: str) -> bytes:
        """A 32-byte sub-key for one purpose, so no two uses share a key."""
        key = self._derived.get(label)
        if key is None:
            key = HKDF(hashes.SHA256(), 32, salt=None, info=label.encode()).derive(self.hmac_key)
            self._derived[label] = key
        return key

    def lookup_hash(self, value: str, purpose: str = "id_number") -> str:
        return hmac.new(self.derive(f"lookup:{purpose}"), value.encode(), "sha256").hexdigest()

    # Sealing (AES-256-GCM, random nonce, associated data binds the ciphertext to a use) --
    def seal(self, plaintext: bytes, aad: str = "") -> str:
        nonce = os.urandom(12)
        return b64url(nonce + AESGCM(self.enc_key).encrypt(nonce, plaintext, aad.encode()))

    def open(self, sealed: str, aad: str = "") -> bytes:
        raw = b64url_decode(sealed)
        return AESGCM(self.enc_key).decrypt(raw[:12], raw[12:], aad.encode())

    def seal_text(self, text: str, aad: str = "") -> str:
        return self.seal(text.encode(), aad)

    def open_text(self, sealed: str, aad: str = "") -> str:
        return self.open(sealed, aad).decode()

    # Access tokens --------------------------------------------------------------------
    def issue_token(
        self, *, audience: str, subject: str, ttl: int, claims: dict[str, Any] | None = None
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(12),
            **(claims or {}),
        }
        return jwt.encode(
            payload, self.signing_key, algorithm=TOKEN_ALGORITHM, headers={"kid": self.signing_kid}
        )

    def decode_token(self, token: str, audience: str) -> dict[str, Any]:
        """Verify an access token for exactly one audience; raises jwt.PyJWTError.

        A token's signature and claims never change, so one verified here is remembered until
        it expires: a gate presents the same token on every scan, and an ES256 check costs
        more than the rest of the request's own work. Only what the signature proves is
        cached; whether the login or gate is still alive is the caller's query, every time."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and cached[0] > now and cached[1] == audience:
            return dict(cached[2])
        decoded = self._decode_token(token, audience)
        if len(self._verified) >= VERIFIED_TOKEN_CACHE:
            for key in [k for k, (expiry, _, _) in self._verified.items() if expiry <= now]:
                del self._verified[key]
            if len(self._verified) >= VERIFIED_TOKEN_CACHE:
                self._verified.clear()
        self._verified[token] = (float(decoded["exp"]), audience, dict(decoded))
        return decoded

    def _decode_token(self, token: str, audience: str) -> dict[str, Any]:
        decoded: dict[str, Any] = jwt.decode(
            token,
            self._verify_key,
            algorithms=[TOKEN_ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            # strict_aud: `aud` must be exactly this string; a list that merely contains it
            # would make one token good for two audiences.
            options={"require": ["exp", "iat", "sub", "aud", "iss"], "strict_aud": True},
        )
        return decoded

    @property
    def _verify_key(self) -> ec.EllipticCurvePublicKey:
        return _public_key(self.signing_key)


@lru_cache(maxsize=4)
def _public_key(key: ec.EllipticCurvePrivateKey) -> ec.EllipticCurvePublicKey:
    return key.public_key()


def _load_or_generate(path: Path, make: Any) -> tuple[str, bool]:
    if path.exists():
        return path.read_text().strip(), True
    path.parent.mkdir(parents=True, exist_ok=True)
    value: str = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value, True


def build_keyring(settings: Settings) -> Keyring:
    key_dir = Path(settings.data_dir) / "keys"
    generated = False

    def secret(value: str, name: str, env_var: str) -> bytes:
        nonlocal generated
        if not value:
            if settings.env == "production":
                raise SettingsError(
                    f"{env_var} is required in production (generated keys are for dev and test)"
                )
            value, _ = _load_or_generate(key_dir / name, lambda: b64url(secrets.token_bytes(32)))
            generated = True
        try:
            raw = b64url_decode(value)
        except ValueError:
            raise SettingsError(f"{env_var} must be base64url") from None
        if len(raw) != 32:
            raise SettingsError(f"{env_var} must decode to 32 bytes")
        return raw

    hmac_key = secret(settings.id_hmac_key, "id_hmac.key", "CITYBRAIN_ID_HMAC_KEY")
    enc_key = secret(settings.id_enc_key, "id_enc.key", "CITYBRAIN_ID_ENC_KEY")
    pem = settings.token_signing_key
    if not pem:
        if settings.env == "production":
            raise SettingsError(
                "CITYBRAIN_TOKEN_SIGNING_KEY is required in production "
                "(generated keys are for dev and test)"
            )
        pem, _ = _load_or_generate(
            key_dir / "token_signing.pem", lambda: ec_key_to_pem(generate_ec_key())
        )
        generated = True
    signing_key = ec_key_from_pem(pem)
    return Keyring(
        hmac_key=hmac_key,
        enc_key=enc_key,
        signing_key=signing_key,
        signing_kid=ec_thumbprint(signing_key.public_key()),
        generated=generated,
    )


_keyring: Keyring | None = None


def get_keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        _keyring = build_keyring(get_settings())
    return _keyring

"""Key material: production refuses generated keys; sealing, keyed hashes and access tokens."""

from __future__ import annotations

import os
import stat
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey

from app import security
from app.security import (
    Keyring,
    b64url,
    build_keyring,
    ec_key_to_pem,
    ec_thumbprint,
    generate_ec_key,
    new_time_id,
    public_jwk,
)
from app.settings import Settings, SettingsError

KEY_32 = b64url(bytes(range(32)))
OTHER_KEY_32 = b64url(bytes(range(1, 33)))


def production(
    tmp_path: Path, id_hmac_key: str = "", id_enc_key: str = "", token_signing_key: str = ""
) -> Settings:
    return Settings(
        env="production",
        data_dir=str(tmp_path),
        id_hmac_key=id_hmac_key,
        id_enc_key=id_enc_key,
        token_signing_key=token_signing_key,
    )


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return build_keyring(Settings(env="test", data_dir=str(tmp_path)))


class TestBuildKeyring:
    def test_production_refuses_to_generate_keys(self, tmp_path: Path) -> None:
        with pytest.raises(SettingsError, match="CITYBRAIN_ID_HMAC_KEY"):
            build_keyring(production(tmp_path))
        assert not (tmp_path / "keys").exists()

    def test_production_names_each_missing_key(self, tmp_path: Path) -> None:
        with pytest.raises(SettingsError, match="CITYBRAIN_ID_ENC_KEY"):
            build_keyring(production(tmp_path, id_hmac_key=KEY_32))
        with pytest.raises(SettingsError, match="CITYBRAIN_TOKEN_SIGNING_KEY"):
            build_keyring(production(tmp_path, id_hmac_key=KEY_32, id_enc_key=OTHER_KEY_32))

    def test_production_with_configured_keys(self, tmp_path: Path) -> None:
        pem = ec_key_to_pem(generate_ec_key())
        keyring = build_keyring(
            production(tmp_path, id_hmac_key=KEY_32, id_enc_key=OTHER_KEY_32, token_signing_key=pem)
        )
        assert keyring.generated is False
        assert keyring.hmac_key == bytes(range(32))
        assert not (tmp_path / "keys").exists()

    @pytest.mark.parametrize("env", ["dev", "test"])
    def test_dev_and_test_generate_keys_once(self, tmp_path: Path, env: str) -> None:
        first = build_keyring(Settings(env=env, data_dir=str(tmp_path)))  # type: ignore[arg-type]
        second = build_keyring(Settings(env=env, data_dir=str(tmp_path)))  # type: ignore[arg-type]
        assert first.generated and second.generated
        assert first.signing_kid == second.signing_kid
        assert (first.hmac_key, first.enc_key) == (second.hmac_key, second.enc_key)
        for path in (tmp_path / "keys").iterdir():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path

    @pytest.mark.parametrize("value", ["not base64!", b64url(b"short")])
    def test_a_malformed_secret_names_its_variable(self, tmp_path: Path, value: str) -> None:
        with pytest.raises(SettingsError, match="CITYBRAIN_ID_HMAC_KEY"):
            build_keyring(Settings(env="test", data_dir=str(tmp_path), id_hmac_key=value))

    def test_the_signing_key_must_be_p256(self, tmp_path: Path) -> None:
        for key in (ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048)):
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            with pytest.raises(SettingsError, match="CITYBRAIN_TOKEN_SIGNING_KEY"):
                build_keyring(Settings(env="test", data_dir=str(tmp_path), token_signing_key=pem))


class TestSealing:
    def test_round_trip_with_a_fresh_nonce(self, keyring: Keyring) -> None:
        first = keyring.seal_text("330106199003071234", aad="id:c1")
        second = keyring.seal_text("330106199003071234", aad="id:c1")
        assert first != second
        assert "330106199003071234" not in first
        assert keyring.open_text(first, aad="id:c1") == "330106199003071234"

    def test_bound_to_its_use(self, keyring: Keyring) -> None:
        sealed = keyring.seal_text("secret", aad="id:c1")
        with pytest.raises(InvalidTag):
            keyring.open_text(sealed, aad="id:c2")

    def test_lookup_hash_is_keyed_and_per_purpose(self, keyring: Keyring, tmp_path: Path) -> None:
        value = "330106199003071234"
        assert keyring.lookup_hash(value) == keyring.lookup_hash(value)
        assert keyring.lookup_hash(value) != keyring.lookup_hash(value, "phone")
        other = build_keyring(Settings(env="test", data_dir=str(tmp_path / "other")))
        assert other.lookup_hash(value) != keyring.lookup_hash(value)
        assert keyring.derive("a") != keyring.derive("b") and len(keyring.derive("a")) == 32


class TestTokens:
    def test_issue_and_decode_for_one_audience(self, keyring: Keyring) -> None:
        token = keyring.issue_token(audience="citizen", subject="c1", ttl=60, claims={"sid": "s"})
        claims = keyring.decode_token(token, "citizen")
        assert claims["sub"] == "c1" and claims["sid"] == "s" and claims["iss"] == "citybrain"
        assert jwt.get_unverified_header(token) == {
            "alg": "ES256",
            "typ": "JWT",
            "kid": keyring.signing_kid,
        }
        with pytest.raises(jwt.InvalidAudienceError):
            keyring.decode_token(token, "gate")

    def test_a_remembered_token_keeps_its_audience(self, keyring: Keyring) -> None:
        token = keyring.issue_token(audience="citizen", subject="c1", ttl=60)
        first = keyring.decode_token(token, "citizen")
        first["sub"] = "changed by a caller"
        assert keyring.decode_token(token, "citizen")["sub"] == "c1"  # a copy each time
        with pytest.raises(jwt.InvalidAudienceError):
            keyring.decode_token(token, "gate")

    def test_a_remembered_token_still_expires(self, keyring: Keyring) -> None:
        token = keyring.issue_token(audience="gate", subject="g1", ttl=1)
        assert keyring.decode_token(token, "gate")["sub"] == "g1"
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        time.sleep(max(0.0, expires - time.time()) + 0.05)
        with pytest.raises(jwt.ExpiredSignatureError):
            keyring.decode_token(token, "gate")

    def test_a_forged_token_is_never_remembered(self, keyring: Keyring) -> None:
        token = keyring.issue_token(audience="gate", subject="g1", ttl=60)
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-4]}AAAA"
        for _ in range(2):
            with pytest.raises(jwt.InvalidSignatureError):
                keyring.decode_token(forged, "gate")

    def test_the_memory_is_bounded(self, keyring: Keyring, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(security, "VERIFIED_TOKEN_CACHE", 3)
        tokens = [keyring.issue_token(audience="gate", subject=f"g{i}", ttl=60) for i in range(7)]
        for token in tokens:
            keyring.decode_token(token, "gate")
            assert len(keyring._verified) <= 3
        assert keyring.decode_token(tokens[0], "gate")["sub"] == "g0"

    def test_expired(self, keyring: Keyring) -> None:
        token = keyring.issue_token(audience="citizen", subject="c1", ttl=-1)
        with pytest.raises(jwt.ExpiredSignatureError):
            keyring.decode_token(token, "citizen")

    def test_kid_is_the_rfc_7638_thumbprint(self, keyring: Keyring) -> None:
        public = keyring.signing_key.public_key()
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert ec_thumbprint(public) == ECKey.import_key(pem).thumbprint()
        jwk = public_jwk(public, keyring.signing_kid)
        assert jwk["kid"] == keyring.signing_kid and jwk["alg"] == "ES256"
        as_jwk: dict[str, str | list[str]] = {**jwk}
        assert ECKey.import_key(as_jwk).thumbprint() == keyring.signing_kid


class TestTimeIds:
    def test_version_7_and_in_time_order(self) -> None:
        first = new_time_id()
        time.sleep(0.002)
        later = [new_time_id() for _ in range(50)]
        parsed = uuid.UUID(first)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert all(first < other for other in later)  # sorted as text too
        assert len(set(later)) == 50
        assert abs((parsed.int >> 80) - time.time() * 1000) < 5_000

    def test_ids_across_a_refill_of_the_random_pool_differ(self) -> None:
        ids = {new_time_id() for _ in range(1_000)}  # 10 random bytes each: past 4 KiB
        assert len(ids) == 1_000

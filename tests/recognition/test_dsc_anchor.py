"""An imported DSC list signed by a configured trust anchor (`CITYBRAIN_DSC_TRUST_ANCHOR`):
with the anchor set, only a list whose exact body its key signed is taken."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from app.settings import SettingsError, get_settings, settings_from_env
from recognition import anchor
from tests.helpers import Api, problem
from tests.recognition import factory as f
from tests.recognition.test_routes import DSC, health_admin, versions


def _sign(signer: f.Signer, body: bytes) -> str:
    key = signer.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(body, ec.ECDSA(hashes.SHA256()))
    else:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(body, pss, hashes.SHA256())
    return base64.b64encode(signature).decode()


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: f.Signer) -> None:
    pem = tmp_path / "anchor.pem"
    pem.write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    changed = msgspec.structs.replace(get_settings(), dsc_trust_anchor=str(pem))
    monkeypatch.setattr(anchor, "get_settings", lambda: changed)


async def _put(api: Api, body: bytes, signature: str | None = None) -> object:
    headers = {**(await health_admin(api)), "Content-Type": "application/json"}
    if signature is not None:
        headers[anchor.SIGNATURE_HEADER] = signature
    return await api.client.put(DSC, content=body, headers=headers)


def _list() -> bytes:
    return json.dumps(
        {"certificates": [f.signer().entry(), f.signer(rsa_key=True).entry()]}
    ).encode()


class TestSignedImport:
    @pytest.mark.parametrize("rsa_anchor", [False, True])
    async def test_a_list_the_anchor_signed_is_taken(
        self, api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_anchor: bool
    ) -> None:
        national = f.signer(rsa_key=rsa_anchor, country="DE")
        _configure(monkeypatch, tmp_path, national)
        body = _list()
        response = await _put(api, body, _sign(national, body))
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        kids = [d["kid"] for d in response.json()["dsc"]]  # type: ignore[attr-defined]
        assert kids == [c["kid"] for c in json.loads(body)["certificates"]]

    async def test_unsigned_tampered_or_foreign_lists_write_nothing(
        self, api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        national, impostor = f.signer(country="DE"), f.signer(country="XX")
        _configure(monkeypatch, tmp_path, national)
        body = _list()
        tampered = body.replace(b'"AT"', b'"FR"', 1)
        before = await versions(api)
        for signature, sent in (
            (None, body),
            (_sign(impostor, body), body),
            (_sign(national, body), tampered),
            ("not base64!", body),
        ):
            refused = await _put(api, sent, signature)
            problem(refused, 422, "trust_list_signature_invalid")  # type: ignore[arg-type]
        assert await versions(api) == before

    async def test_without_an_anchor_a_list_is_taken_unsigned(self, api: Api) -> None:
        response = await _put(api, _list())
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]


class TestAnchorSetting:
    def test_an_unreadable_anchor_stops_the_start(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere.pem"
        with pytest.raises(SettingsError, match="CITYBRAIN_DSC_TRUST_ANCHOR"):
            settings_from_env({"CITYBRAIN_DSC_TRUST_ANCHOR": str(missing)})
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        with pytest.raises(SettingsError, match="CITYBRAIN_DSC_TRUST_ANCHOR"):
            settings_from_env({"CITYBRAIN_DSC_TRUST_ANCHOR": str(garbage)})

    def test_a_pem_certificate_is_taken(self, tmp_path: Path) -> None:
        pem = tmp_path / "anchor.pem"
        pem.write_bytes(f.signer().certificate.public_bytes(serialization.Encoding.PEM))
        settings = settings_from_env({"CITYBRAIN_DSC_TRUST_ANCHOR": str(pem)})
        assert settings.dsc_trust_anchor == str(pem)
        assert isinstance(anchor.load_anchor(str(pem)).public_key(), ec.EllipticCurvePublicKey)
        assert not isinstance(anchor.load_anchor(str(pem)).public_key(), rsa.RSAPublicKey)

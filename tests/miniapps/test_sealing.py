"""The SDK's sealing: personal data an app must keep, stored so that only that app, for that
purpose, opens it (`ctx.seal` / `ctx.unseal`, `Sealer(slug)` without a context)."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from app.security import b64url, b64url_decode, get_keyring
from miniapps.sdk import Manifest, MiniAppContext, SealBroken, Sealer

HOTEL = Manifest(slug="seal-hotel", name="Seal hotel", version="1.0.0")
RENTAL = Manifest(slug="seal-rental", name="Seal rental", version="1.0.0")
NAME = "欧阳娜娜"
PURPOSE = "register:line-1"


def _ctx(manifest: Manifest = HOTEL) -> MiniAppContext:
    return MiniAppContext(manifest=manifest)


def _flip(sealed: str, at: int) -> str:
    raw = bytearray(b64url_decode(sealed))
    raw[at] ^= 0x01
    return b64url(bytes(raw))


class TestRoundTrip:
    def test_what_is_sealed_opens_for_the_same_app_and_purpose(self) -> None:
        sealed = _ctx().seal(NAME, PURPOSE)
        assert NAME not in sealed
        assert _ctx().unseal(sealed, PURPOSE) == NAME
        # The context and a Sealer of the same slug are one and the same key.
        assert Sealer(HOTEL.slug).unseal(sealed, PURPOSE) == NAME
        assert _ctx().unseal(Sealer(HOTEL.slug).seal(NAME, PURPOSE), PURPOSE) == NAME

    def test_a_fresh_nonce_each_time(self) -> None:
        first, second = _ctx().seal(NAME, PURPOSE), _ctx().seal(NAME, PURPOSE)
        assert first != second
        assert _ctx().unseal(first, PURPOSE) == _ctx().unseal(second, PURPOSE) == NAME

    def test_the_longest_name_fits_a_register_column(self) -> None:
        # 40 characters, the longest real name; characters outside the BMP take 4 bytes.
        for name in ("龘" * 40, "𠀀" * 40, ""):
            sealed = _ctx().seal(name, "register:" + "x" * 36)
            assert len(sealed) <= 255
            assert _ctx().unseal(sealed, "register:" + "x" * 36) == name


class TestWhatDoesNotOpen:
    def test_another_app(self) -> None:
        sealed = _ctx(HOTEL).seal(NAME, PURPOSE)
        with pytest.raises(SealBroken):
            _ctx(RENTAL).unseal(sealed, PURPOSE)
        with pytest.raises(SealBroken):
            Sealer("seal-hotel2").unseal(sealed, PURPOSE)

    def test_another_purpose(self) -> None:
        sealed = _ctx().seal(NAME, PURPOSE)
        for other in ("register:line-2", "register:line-1 ", "REGISTER:line-1", "register"):
            with pytest.raises(SealBroken):
                _ctx().unseal(sealed, other)

    def test_the_platforms_own_key_does_not_open_it(self) -> None:
        sealed = _ctx().seal(NAME, PURPOSE)
        with pytest.raises(InvalidTag):
            get_keyring().open_text(sealed, f"miniapp:{HOTEL.slug}:{PURPOSE}")

    def test_a_tampered_value(self) -> None:
        sealed = _ctx().seal(NAME, PURPOSE)
        size = len(b64url_decode(sealed))
        for at in (0, 11, 12, size - 17, size - 1):  # nonce, ciphertext, tag
            with pytest.raises(SealBroken):
                _ctx().unseal(_flip(sealed, at), PURPOSE)
        for broken in (sealed[:-4], sealed + "AAAA", "", "not base64!", "AAAA", sealed[:20]):
            with pytest.raises(SealBroken):
                _ctx().unseal(broken, PURPOSE)

    def test_the_refusal_names_nothing(self) -> None:
        sealed = _ctx().seal(NAME, PURPOSE)
        with pytest.raises(SealBroken) as refused:
            _ctx(RENTAL).unseal(sealed, PURPOSE)
        text = f"{refused.value} {refused.value!r} {refused.value.args}"
        assert NAME not in text and PURPOSE not in text and sealed not in text
        assert refused.value.__cause__ is None and refused.value.__suppress_context__


class TestMisuse:
    def test_a_purpose_is_required(self) -> None:
        with pytest.raises(ValueError, match="purpose"):
            _ctx().seal(NAME, "")
        with pytest.raises(ValueError, match="purpose"):
            _ctx().seal(NAME, "x" * 201)

    def test_a_sealer_needs_a_slug(self) -> None:
        for bad in ("", "Hotel", "hotel:register", "a"):
            with pytest.raises(ValueError, match="slug"):
                Sealer(bad)

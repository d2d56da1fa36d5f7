"""Sealing for mini-apps: personal data an app must keep, stored so that only it can read it.

The platform never stores a name or an ID number in clear; a mini-app that must keep one (a
hotel's guest register, a landlord's tenant register) seals it the same way: AES-256-GCM with
a random nonce, under a key of the app's own (derived from the platform's keys with a label
naming the app's slug), the purpose in the associated data. So one app cannot open another
app's values, and a value sealed for one purpose does not open for another: put the row's id
in the purpose (`f"register:{row_id}"`) and a sealed value copied to another row does not open
there either.

    sealed = ctx.seal("欧阳娜娜", f"register:{record_id}")  # store this
    name = ctx.unseal(sealed, f"register:{record_id}")  # and open it where it is read

Code without a context (a migration, a script) uses `Sealer(slug)`, which seals and opens
exactly as the context of that app does. A sealed value is base64url text of
4/3 × (UTF-8 bytes + 28) characters: a 40-character name fits in 255.
A value that does not open raises `SealBroken`, which names neither the value nor the purpose.
Apps get all of this from `miniapps.sdk`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security import b64url, b64url_decode, get_keyring
from miniapps.manifest import SLUG_PATTERN

_SLUG = re.compile(SLUG_PATTERN)
_NONCE = 12
_TAG = 16
MAX_PURPOSE = 200


class SealBroken(Exception):
    """A sealed value that does not open: sealed by another app, for another purpose, under
    other keys, or altered. A server-side fault (500), never a client's; the message is
    fixed, so no value reaches a log or an answer."""

    def __init__(self) -> None:
        super().__init__("a sealed value did not open for this mini-app and purpose")


@dataclass(frozen=True)
class Sealer:
    """Seals and opens text for one mini-app (`ctx.seal` / `ctx.unseal` use it)."""

    slug: str

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.slug):
            raise ValueError("not a mini-app slug")

    def seal(self, text: str, purpose: str) -> str:
        """`text` sealed for `purpose` (1–200 characters: what it is, and the row it is in)."""
        nonce = os.urandom(_NONCE)
        return b64url(nonce + self._aead().encrypt(nonce, text.encode(), self._aad(purpose)))

    def unseal(self, sealed: str, purpose: str) -> str:
        """The text `seal` was given for this purpose; `SealBroken` otherwise."""
        aad = self._aad(purpose)
        try:
            raw = b64url_decode(sealed)
            if len(raw) < _NONCE + _TAG:
                raise SealBroken
            return self._aead().decrypt(raw[:_NONCE], raw[_NONCE:], aad).decode()
        except (ValueError, TypeError, AttributeError, InvalidTag):
            # binascii.Error and UnicodeDecodeError are ValueErrors
            raise SealBroken from None

    def _aead(self) -> AESGCM:
        return AESGCM(get_keyring().derive(f"miniapp-seal:{self.slug}"))

    def _aad(self, purpose: str) -> bytes:
        if not isinstance(purpose, str) or not 1 <= len(purpose) <= MAX_PURPOSE:
            raise ValueError(f"a sealing purpose is 1 to {MAX_PURPOSE} characters")
        # A slug has no colon, so slug and purpose cannot be shifted into one another.
        return f"miniapp:{self.slug}:{purpose}".encode()

"""Real-name verification behind one interface.

`DevIdentityVerifier` accepts any well-formed number (the format, region, birth date and
check digit are validated before it is called). The production adapter point is the
national identity authentication service (公安部公民网络身份识别系统 or a licensed
provider): it checks that name and number belong together, and later a live face check.
Implement `IdentityVerifier.verify` against it and select it in `get_verifier`.
"""

from __future__ import annotations

from typing import Protocol


class IdentityVerifier(Protocol):
    async def verify(self, name: str, id_number: str) -> bool:
        """True when this name and number are one real person."""
        ...


class DevIdentityVerifier:
    async def verify(self, name: str, id_number: str) -> bool:
        return bool(name.strip()) and len(id_number) == 18


_verifier: IdentityVerifier = DevIdentityVerifier()


def get_verifier() -> IdentityVerifier:
    return _verifier


def set_verifier(verifier: IdentityVerifier) -> None:
    global _verifier
    _verifier = verifier

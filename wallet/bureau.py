"""Where a first credit limit comes from: a public credit score, through `CreditBureau`.

Adapter point: a deployment replaces the development bureau with `set_credit_bureau()` at
start-up (for example from a domain `on_startup` hook), passing an object with an async
`credit_score(citizen_id)`. A real bureau needs the person's identity; it may get the name
and ID number from `identity.service.real_identity(citizen_id)` and must never log them.
The score is asked once, when the citizen's credit line opens; later limits are set by a
platform admin.
"""

from __future__ import annotations

from typing import Protocol

from app.security import get_keyring

SCORE_MIN, SCORE_MAX = 350, 950  # the range of China's public personal credit scores
LIMIT_MIN_YUAN, LIMIT_MAX_YUAN = 1_000, 5_000


class CreditBureau(Protocol):
    async def credit_score(self, citizen_id: str) -> int:
        """The citizen's public credit score, SCORE_MIN–SCORE_MAX."""
        ...


class DevCreditBureau:
    """Deterministic scores for development and tests: a keyed hash of the citizen id.

    Keyed (not a plain hash), so that a citizen id alone does not reveal the score.
    """

    async def credit_score(self, citizen_id: str) -> int:
        digest = get_keyring().lookup_hash(citizen_id, "wallet.credit_score")
        return SCORE_MIN + int(digest[:8], 16) % (SCORE_MAX - SCORE_MIN + 1)


def limit_for_score(score: int) -> int:
    """The first limit in fen: linear from 1,000 CNY at the lowest score to 5,000 at the top."""
    clamped = min(max(score, SCORE_MIN), SCORE_MAX)
    span = LIMIT_MAX_YUAN - LIMIT_MIN_YUAN
    yuan = LIMIT_MIN_YUAN + (clamped - SCORE_MIN) * span // (SCORE_MAX - SCORE_MIN)
    return yuan * 100


_bureau: CreditBureau | None = None


def get_credit_bureau() -> CreditBureau:
    global _bureau
    if _bureau is None:
        _bureau = DevCreditBureau()
    return _bureau


def set_credit_bureau(bureau: CreditBureau | None) -> None:
    """Install a real bureau (None restores the development one)."""
    global _bureau
    _bureau = bureau

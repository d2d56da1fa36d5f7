"""What a gate scan makes of a foreign code (another City Brain's, an EU DCC): the same
verifier as `citybrain codes verify`, then the colour (stated by the code, or decided by the
acceptance rules for a DCC), the masked name and the keyed hash of the holder that the scan
record keeps instead of any name or date of birth. Called by `healthcode.scans`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.security import get_keyring
from app.settings import get_settings
from identity.idcard import mask_name
from recognition import acceptance, citybrain, dcc, service
from recognition.verifier import verify

_EXPIRED = frozenset({"expired"})


@dataclass(frozen=True)
class ForeignScan:
    colour: str | None
    reason: str | None  # code_invalid | code_expired when the code does not verify
    name_masked: str | None
    subject_hash: str | None


def is_foreign(code: object) -> bool:
    """An EU DCC, or a City Brain code whose `iss` is not ours."""
    if not isinstance(code, str):
        return False
    if code.startswith(dcc.PREFIX):
        return True
    if not code.startswith(citybrain.PREFIX) or len(code) > citybrain.MAX_CODE_CHARS:
        return False
    iss = citybrain.issuer_of(code)
    return iss is not None and iss != get_settings().code_issuer


async def judge(code: str, at: datetime) -> ForeignScan:
    trust, rules = await service.trust_list()
    verdict = verify(code, trust, at)
    if not verdict.valid:
        reason = "code_expired" if verdict.reason in _EXPIRED else "code_invalid"
        return ForeignScan(None, reason, None, None)
    colour = verdict.colour if verdict.format == "citybrain" else None
    colour = colour or acceptance.colour(verdict, rules, at)
    name = " ".join(mask_name(part) for part in (verdict.name or "").split() if part)
    subject = get_keyring().lookup_hash(verdict.subject or "", purpose="foreign_subject")
    return ForeignScan(colour, None, name or None, subject)

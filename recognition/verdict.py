"""What the verifier says about one presented code: the `codes verify` JSON, plus what a gate
needs to record and admit it (colour, subject, name), which the command never prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Format = Literal["citybrain", "eu-dcc"]
Kind = Literal["vaccination", "test", "recovery"]
Reason = Literal[
    "undecodable",
    "unknown_key",
    "signature_invalid",
    "expired",
    "not_yet_valid",
    "key_usage",
    "schema_invalid",
]


class Rejection(Exception):
    """Raised inside the verifier; turned into an invalid `Verdict`, never escapes it."""

    def __init__(self, reason: Reason, issuer: str | None = None) -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.issuer = issuer


@dataclass(frozen=True)
class Verdict:
    valid: bool
    format: Format
    issuer: str | None = None
    kind: Kind | None = None
    expires_at: datetime | None = None
    reason: Reason | None = None
    colour: str | None = None  # a City Brain code: the colour it states
    subject: str | None = None  # stable text naming the holder (hashed before it is stored)
    name: str | None = None  # the holder's name as the certificate spells it (masked to show)
    payload: dict[str, Any] = field(default_factory=dict)  # the hcert, for acceptance rules

    def public(self) -> dict[str, Any]:
        """The object `citybrain codes verify` prints (and the issue fixes field by field)."""
        return {
            "valid": self.valid,
            "format": self.format,
            "issuer": self.issuer,
            "kind": self.kind,
            "expires_at": rfc3339(self.expires_at),
            "reason": self.reason,
        }


def rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")

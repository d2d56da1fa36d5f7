"""Request and response shapes of the identity endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["citizen", "health_admin", "platform_admin", "developer"]
VenueKind = Literal["metro", "hotel", "park", "hospital", "mall", "office", "other"]
Colour = Literal["green", "yellow", "red"]


def _documented(pattern: str, example: str) -> dict[str, object]:
    """A pattern shown in OpenAPI but checked by the service, so that a mismatch is answered
    with the contract's own code (`invalid_phone`, `invalid_otp`, `invalid_id_number`)."""
    return {"examples": [example], "extra": {"pattern": pattern}}


Phone = Annotated[
    str,
    msgspec.Meta(
        max_length=32, extra_json_schema=_documented(r"^1[3-9][0-9]{9}$(?!\n)", "13800000000")
    ),
]
OtpCode = Annotated[
    str, msgspec.Meta(max_length=16, extra_json_schema=_documented(r"^[0-9]{6}$(?!\n)", "123456"))
]
IdNumber = Annotated[
    str,
    msgspec.Meta(
        max_length=40,
        extra_json_schema=_documented(r"^[0-9]{17}[0-9Xx]$(?!\n)", "11010519491231002X"),
    ),
]


class OtpRequest(msgspec.Struct):
    phone: Phone


class OtpSent(msgspec.Struct, omit_defaults=True):
    expires_in: int
    dev_code: str | None = None


class TokenRequest(msgspec.Struct):
    phone: Phone
    code: OtpCode


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class RefreshRequest(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Me(msgspec.Struct):
    id: str
    phone_masked: str
    name_masked: str | None
    real_name_verified: bool
    roles: list[str]


class RealNameRequest(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    id_number: IdNumber


class CitizenSummary(msgspec.Struct):
    id: str
    phone_masked: str
    name_masked: str | None
    roles: list[str]


class RolesRequest(msgspec.Struct):
    roles: Annotated[list[Role], msgspec.Meta(max_length=4)]


class AuditOut(msgspec.Struct):
    id: str
    actor_id: str
    action: str
    target: str
    created_at: datetime


class VenueCreate(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: VenueKind
    region_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$(?!\n)")]
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    # Colours that pass the gates; default: green, or every colour at a hospital.
    admission: Annotated[list[Colour], msgspec.Meta(min_length=1, max_length=3)] | None = None
    # Whether codes of other issuers (other City Brains, EU DCCs) may pass at all.
    foreign_codes: bool = True


class VenueOut(msgspec.Struct):
    id: str
    name: str
    kind: str
    region_code: str
    address: str
    admission: list[str]
    foreign_codes: bool
    created_at: datetime


class GateCreate(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class GateCreated(msgspec.Struct):
    gate_id: str
    venue_id: str
    name: str
    device_secret: str


class GateOut(msgspec.Struct):
    gate_id: str
    venue_id: str
    name: str
    revoked_at: datetime | None


class GateTokenRequest(msgspec.Struct):
    gate_id: Annotated[str, msgspec.Meta(max_length=64)]
    device_secret: Annotated[str, msgspec.Meta(max_length=200)]


class GateToken(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int

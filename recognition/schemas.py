"""Request and response shapes of the trust-list endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

Iss = Annotated[str, msgspec.Meta(min_length=8, max_length=200, pattern=r"^https://\S+$(?!\n)")]
Region = Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{5}$(?!\n)", examples=["310000"])]


class Jwks(msgspec.Struct):
    keys: Annotated[list[dict[str, Any]], msgspec.Meta(min_length=1, max_length=10)]


JwksUrl = Annotated[
    str, msgspec.Meta(min_length=8, max_length=500, pattern=r"^https?://\S+$(?!\n)")
]


class CityIssuerIn(msgspec.Struct, forbid_unknown_fields=True):
    """The keys pasted (`jwks`), or fetched from `jwks_url` now and every hour after."""

    iss: Iss
    region: Region
    jwks: Jwks | None = None  # the issuer's /.well-known/jwks.json, pasted
    jwks_url: JwksUrl | None = None  # where to fetch it (https://)


class CityIssuerOut(msgspec.Struct):
    iss: str
    region: str
    jwks: dict[str, Any]
    jwks_url: str | None = None


class DscEntry(msgspec.Struct):
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$(?!\n)")]
    kid: Annotated[str, msgspec.Meta(min_length=4, max_length=64)]
    rawData: Annotated[str, msgspec.Meta(min_length=4, max_length=16384)]  # noqa: N815 (EU shape)


class DscImportIn(msgspec.Struct):
    """The EU gateway's trust-list shape; replaces every document signer of the list."""

    certificates: Annotated[list[DscEntry], msgspec.Meta(max_length=5000)]


class AcceptanceRules(msgspec.Struct, forbid_unknown_fields=True):
    """When a valid EU DCC counts as green (edited by a health_admin, versioned with the list)."""

    vaccination_min_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 14
    test_max_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 72
    recovery_max_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 180


class TrustListOut(msgspec.Struct):
    version: int
    issued_at: datetime | None
    city_issuers: list[CityIssuerOut]
    dsc: list[dict[str, str]]
    rules: AcceptanceRules

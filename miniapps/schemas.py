"""Request and response shapes of the platform, shared by the HTTP API and the SDK."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from miniapps.manifest import Scope, Slug, TemplateName

Amount = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000, description="fen, positive")]
Memo = Annotated[str, msgspec.Meta(max_length=200)]
EntityId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Colour = Literal["green", "yellow", "red"]


# Catalogue, consent, data access ----------------------------------------------------------


class MiniAppOut(msgspec.Struct):
    slug: str
    name: str
    version: str
    scopes: list[str]
    kind: Literal["builtin", "external"]


class GrantRequest(msgspec.Struct, forbid_unknown_fields=True):
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=5)]


class GrantCreated(msgspec.Struct):
    slug: str
    scopes: list[str]
    code: str | None  # only for an external app: its backend exchanges it once


class GrantOut(msgspec.Struct):
    slug: str
    scopes: list[str]
    granted_at: datetime


class DataAccessOut(msgspec.Struct):
    id: str
    slug: str
    what: str
    detail: str
    created_at: datetime


# Developer platform ------------------------------------------------------------------------


class AppCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    scopes: Annotated[list[Scope], msgspec.Meta(max_length=5)]
    webhook_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    templates: Annotated[list[TemplateName], msgspec.Meta(max_length=50)] = []
    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9]+(\.[0-9]+){0,2}$(?!\n)")] = "1.0.0"


class AppUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    webhook_url: Annotated[str, msgspec.Meta(max_length=500)] | None | msgspec.UnsetType = (
        msgspec.UNSET
    )


class AppCreated(msgspec.Struct):
    app_id: str
    slug: str
    client_id: str
    client_secret: str
    webhook_secret: str
    status: str


class AppOut(msgspec.Struct):
    app_id: str
    slug: str
    name: str
    version: str
    scopes: list[str]
    templates: list[str]
    webhook_url: str | None
    client_id: str
    status: str
    developer_id: str
    created_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None


class ClientSecretOut(msgspec.Struct):
    client_id: str
    client_secret: str


class WebhookSecretOut(msgspec.Struct):
    webhook_secret: str


class SandboxCitizenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] = "测试用户"
    colour: Colour = "green"
    credit_limit: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 100_000


class SandboxCitizenOut(msgspec.Struct):
    sandbox_citizen_id: str
    openid: str
    code: str  # exchange it at /api/v1/oauth/token like a real citizen's code
    scopes: list[str]


class RegistryEntryOut(msgspec.Struct):
    slug: str
    version: str
    source: str


class RegistryFailureOut(msgspec.Struct):
    source: str
    reason: str


class RegistryOut(msgspec.Struct):
    loaded: list[RegistryEntryOut]
    failed: list[RegistryFailureOut]


# OAuth ------------------------------------------------------------------------------------


class TokenRequest(msgspec.Struct):
    grant_type: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    code: str | None = None


class CitizenTokenOut(msgspec.Struct):
    access_token: str
    openid: str
    scopes: list[str]
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


class ClientTokenOut(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


# The app API (/api/v1/apps/*) and the SDK facades -------------------------------------------


class ProfileOut(msgspec.Struct):
    openid: str
    name_masked: str | None


class ColourOut(msgspec.Struct):
    colour: str | None


class IdentityOut(msgspec.Struct):
    openid: str
    real_name: str
    id_hash: str


class HoldRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    expires_in: Annotated[int, msgspec.Meta(ge=60, le=34_560_000, description="seconds")]
    memo: Memo = ""


class CaptureRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount


class ChargeRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    memo: Memo = ""


class RefundRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    charge_id: EntityId | None = None
    hold_id: EntityId | None = None


class HoldOut(msgspec.Struct):
    hold_id: str
    amount: int
    status: str
    expires_at: datetime


class CaptureOut(msgspec.Struct):
    hold_id: str
    status: str
    captured: int
    released: int


class VoidOut(msgspec.Struct):
    hold_id: str
    status: str


class ChargeOut(msgspec.Struct):
    charge_id: str
    amount: int


class RefundOut(msgspec.Struct):
    refund_id: str
    amount: int


class NotifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    template: TemplateName
    data: dict[str, Any] = {}


class NotifyQueued(msgspec.Struct):
    id: str

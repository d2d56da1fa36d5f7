"""The mini-app SDK: everything a mini-app may use of City Brain, and nothing more.

A mini-app package (first-party under `miniapps/<name>/`, or third-party, installed with an
entry point in the group `citybrain.miniapps`) imports nothing of the core but this module;
a test holds every mini-app in the repository to it. See docs/miniapps.md.

    from litestar import Router, get
    from litestar.di import NamedDependency
    from miniapps.sdk import InProcessMiniApp, Manifest, MiniAppContext

    @get("/hello")
    async def hello(ctx: NamedDependency[MiniAppContext]) -> dict[str, str]:
        return {"openid": ctx.require_citizen()}

    miniapp = InProcessMiniApp(
        manifest=Manifest(slug="hello", name="Hello", version="1.0.0"),
        router=Router(path="/", route_handlers=[hello]),
    )

The platform mounts the router under `/api/v1/miniapps/<slug>` and injects `ctx`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from litestar import Router
from litestar.di import Provide

from app.database import after_commit, atomic, fetch, fetch_one, is_postgres
from app.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ProblemError,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    declare_problems,
)
from app.idempotency import (
    IdempotencyKeyHeader,
    IdempotencyKeyInUse,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    idempotent,
)
from app.pagination import CursorParam, LimitParam, Page, decode_cursor, encode_cursor
from app.security import new_id, new_time_id
from identity.errors import RealNameRequired
from miniapps.context import (
    Device,
    DeviceScan,
    HealthcodeFacade,
    IdentityFacade,
    MiniAppContext,
    NotifyFacade,
    WalletFacade,
    demo_openid,
    provide_context,
)
from miniapps.errors import ScopeRequired
from miniapps.manifest import PLATFORM_VERSION, SCOPES, Manifest
from miniapps.scan_errors import (
    SCAN_PROBLEMS,
    CodeExpired,
    CodeInvalid,
    UnknownPerson,
    scan_refused,
)
from miniapps.schemas import (
    CaptureOut,
    ChargeOut,
    HoldOut,
    IdentityOut,
    ProfileOut,
    RefundOut,
    VoidOut,
)
from miniapps.sdk_files import AppFiles, FileStore, StoredFileMissing
from miniapps.sdk_payouts import (
    CitizenFacts,
    DirectoryFacade,
    DirectoryPage,
    PayoutFacade,
    PayoutOut,
)
from miniapps.sdk_regions import (
    REGION_PATTERN,
    city_of,
    district_of,
    is_region_code,
    province_of,
    region_covers,
    region_prefix,
)
from miniapps.sdk_sealing import SealBroken, Sealer
from miniapps.sdk_time import (
    SHANGHAI,
    as_date,
    as_utc,
    day_bounds,
    day_start,
    local_day,
    local_today,
    maybe_utc,
    now,
    set_clock,
)
from notifications.errors import NotSubscribed, UnknownTemplate
from wallet.errors import (
    CreditLimitExceeded,
    HoldNotOpen,
    PaymentFailed,
    RefundExceedsCharge,
    WalletSuspended,
)

TOKEN_OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearer": []}]
"""`security=TOKEN_OPTIONAL` on a route anyone may call (signed in or not); the OpenAPI
document otherwise says that a mini-app route needs a bearer token."""

CONTEXT_DEPENDENCY = {"ctx": Provide(provide_context)}


def skip_locked() -> str:
    """` FOR UPDATE SKIP LOCKED` on PostgreSQL, nothing on SQLite: for the SELECT that picks
    one of many interchangeable free rows (a room), so that concurrent claims each lock a
    different row instead of all queueing on the first (SQLite has one writer at a time)."""
    return " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
"""Already set on every mounted mini-app router; for mounting a router yourself in tests."""

# What the facades may answer, for a route's `opt={"problems": [...]}` (its OpenAPI document
# lists every problem+json answer; the suite's schema fuzz holds routes to it).
IDEMPOTENCY_PROBLEMS = (IdempotencyKeyRequired, IdempotencyKeyReused, IdempotencyKeyInUse)
WALLET_PROBLEMS = (CreditLimitExceeded, WalletSuspended, HoldNotOpen, RefundExceedsCharge)
NOTIFY_PROBLEMS = (NotSubscribed, UnknownTemplate, RateLimited)


@dataclass(frozen=True)
class AppEvent:
    """A platform event for this app: the same `{id, type, created_at, data}` as a webhook."""

    id: str
    type: str
    created_at: datetime
    data: Mapping[str, Any]


EventHandler = Callable[[MiniAppContext, AppEvent], Awaitable[None]]
JobFunction = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A background job: `fn(ctx, **kwargs)`; with `every_seconds`, also run periodically.

    Jobs run at least once: make them idempotent.
    """

    fn: JobFunction
    every_seconds: int | None = None


@runtime_checkable
class MiniApp(Protocol):
    """What the registry needs of an in-process mini-app."""

    @property
    def manifest(self) -> Manifest: ...

    @property
    def router(self) -> Router | None: ...

    @property
    def piccolo_app(self) -> str | None:
        """Module path of its Piccolo AppConfig (tables named `<slug>_*`, own migrations)."""
        ...

    @property
    def jobs(self) -> Sequence[Job]: ...

    @property
    def event_handlers(self) -> Mapping[str, EventHandler]:
        """Event type (`grant.revoked`, `hold.expired`, …) → handler."""
        ...


@dataclass(frozen=True)
class InProcessMiniApp:
    """The ready-made `MiniApp`: export one as `miniapp` from your package."""

    manifest: Manifest
    router: Router | None = None
    piccolo_app: str | None = None
    jobs: Sequence[Job] = ()
    event_handlers: Mapping[str, EventHandler] = field(default_factory=dict)


__all__ = [
    "REGION_PATTERN",
    "AppFiles",
    "FileStore",
    "StoredFileMissing",
    "city_of",
    "district_of",
    "is_region_code",
    "province_of",
    "region_covers",
    "region_prefix",
    "PLATFORM_VERSION",
    "SCOPES",
    "SHANGHAI",
    "CONTEXT_DEPENDENCY",
    "IDEMPOTENCY_PROBLEMS",
    "TOKEN_OPTIONAL",
    "NOTIFY_PROBLEMS",
    "SCAN_PROBLEMS",
    "WALLET_PROBLEMS",
    "CodeExpired",
    "CodeInvalid",
    "CreditLimitExceeded",
    "HoldNotOpen",
    "IdempotencyKeyInUse",
    "IdempotencyKeyRequired",
    "IdempotencyKeyReused",
    "NotSubscribed",
    "RateLimited",
    "RealNameRequired",
    "RefundExceedsCharge",
    "UnknownPerson",
    "UnknownTemplate",
    "WalletSuspended",
    "declare_problems",
    "AppEvent",
    "CaptureOut",
    "ChargeOut",
    "CitizenFacts",
    "DirectoryFacade",
    "DirectoryPage",
    "PaymentFailed",
    "PayoutFacade",
    "PayoutOut",
    "Conflict",
    "CursorParam",
    "Device",
    "DeviceScan",
    "EventHandler",
    "FieldError",
    "Forbidden",
    "HealthcodeFacade",
    "HoldOut",
    "IdempotencyKeyHeader",
    "IdentityFacade",
    "IdentityOut",
    "InProcessMiniApp",
    "Job",
    "LimitParam",
    "Manifest",
    "MiniApp",
    "MiniAppContext",
    "NotFound",
    "NotifyFacade",
    "Page",
    "ProblemError",
    "ProfileOut",
    "RefundOut",
    "ScopeRequired",
    "SealBroken",
    "Sealer",
    "Unauthorized",
    "ValidationFailed",
    "VoidOut",
    "WalletFacade",
    "after_commit",
    "as_date",
    "as_utc",
    "atomic",
    "day_bounds",
    "day_start",
    "decode_cursor",
    "demo_openid",
    "encode_cursor",
    "fetch",
    "fetch_one",
    "skip_locked",
    "idempotent",
    "local_day",
    "local_today",
    "maybe_utc",
    "new_id",
    "new_time_id",
    "now",
    "provide_context",
    "scan_refused",
    "set_clock",
]

"""`MiniAppContext`: the platform as one mini-app sees it, bound to one citizen or device.

Everything a mini-app may reach of the core goes through here: the citizen's openid and
only what their grant allows, a wallet limited to this app's merchant account, notifications
with the app's own templates, the colour (never more) of the health code, the real identity
only with `identity.realname`, the device when a gate of one of its venues calls, and
sealing under the app's own key (`seal`/`unseal`) for personal data it must keep. Each read
of a citizen's data and each charge lands in the citizen's data-access log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
import msgspec
from litestar import Request

from app.database import atomic
from app.errors import (
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    declare_problems,
)
from app.security import get_keyring
from miniapps import sandbox
from miniapps.errors import ScopeRequired
from miniapps.manifest import Manifest
from miniapps.schemas import (
    CaptureOut,
    ChargeOut,
    HoldOut,
    IdentityOut,
    ProfileOut,
    RefundOut,
    VoidOut,
)
from miniapps.sdk_files import AppFiles
from miniapps.sdk_payouts import DirectoryFacade, PayoutFacade
from miniapps.sdk_sealing import Sealer
from miniapps.service import (
    citizen_for_openid,
    ensure_openid,
    granted_scopes,
    record_data_access,
)

T = TypeVar("T")


def _as(result: object, shape: type[T]) -> T:
    """Another domain's result struct as this platform's own shape."""
    return msgspec.convert(result, shape, from_attributes=True)


@dataclass(frozen=True)
class DeviceScan:
    """What a device learns from a scan; `citizen` acts for the person, with the flow's scopes."""

    citizen: MiniAppContext | None
    colour: str | None
    deny_reason: str | None


@dataclass(frozen=True)
class Device:
    """A gate of a venue of one of the app's kinds: a front desk, a cashier, a turnstile."""

    gate_id: str
    venue_id: str
    venue_kind: str
    _context: MiniAppContext = field(repr=False)

    async def scan(self, code: str, scopes: tuple[str, ...] = ()) -> DeviceScan:
        """Read a citizen's health code: their presence is consent for `scopes` in this flow."""
        from healthcode.service import resolve_code

        check = await resolve_code(code)
        if check.citizen_id is None:
            return DeviceScan(None, None, check.deny_reason or "unknown_person")
        person = await self._present(check.citizen_id, scopes, "code")
        return DeviceScan(person, check.colour_now, check.deny_reason)

    async def read_id_card(self, id_number: str, scopes: tuple[str, ...] = ()) -> DeviceScan:
        """Sensorless check-in: the ID card read at the desk, no phone needed."""
        from healthcode.service import current_colour
        from identity.service import citizen_by_id_number

        brief = await citizen_by_id_number(id_number)
        if brief is None:
            return DeviceScan(None, None, "unknown_person")
        person = await self._present(brief.id, scopes, "id card")
        return DeviceScan(person, await current_colour(brief.id), None)

    async def _present(self, citizen_id: str, scopes: tuple[str, ...], how: str) -> MiniAppContext:
        manifest = self._context.manifest
        extra = [s for s in scopes if s not in manifest.scopes]
        if extra:
            raise ValueError(f"{manifest.slug} does not declare the scopes {extra}")
        openid = await ensure_openid(manifest.slug, citizen_id)
        await record_data_access(
            citizen_id, manifest.slug, "device_scan", f"{how} at venue {self.venue_id}"
        )
        return MiniAppContext(
            manifest=manifest,
            settings=self._context.settings,
            citizen_id=citizen_id,
            openid=openid,
            scopes=frozenset(scopes),
        )


class MiniAppContext:
    """The platform as one mini-app sees it, for one request, job or device flow."""

    def __init__(
        self,
        *,
        manifest: Manifest,
        settings: Mapping[str, str] | None = None,
        citizen_id: str | None = None,
        openid: str | None = None,
        scopes: frozenset[str] | None = None,
        sandbox_citizen: str | None = None,
        roles: frozenset[str] = frozenset(),
    ) -> None:
        self.manifest = manifest
        self.slug = manifest.slug
        self.settings: Mapping[str, str] = dict(settings or {})
        self.openid = openid
        # A citizen's context holds what they granted; an app-level one what it declared.
        self.scopes: frozenset[str] = scopes if scopes is not None else frozenset(manifest.scopes)
        self.device: Device | None = None
        # The caller's platform roles (`platform_admin`, …): only for a signed-in citizen.
        self.roles: frozenset[str] = roles if openid is not None else frozenset()
        self._citizen_id = citizen_id
        self._sandbox_citizen = sandbox_citizen
        self.wallet = WalletFacade(self)
        self.notify = NotifyFacade(self)
        self.healthcode = HealthcodeFacade(self)
        self.identity = IdentityFacade(self)
        self.directory = DirectoryFacade(self)
        self.payouts = PayoutFacade(self)

    @property
    def has_citizen(self) -> bool:
        return self.openid is not None

    def require_citizen(self) -> str:
        """The citizen's openid; 401 when nobody signed in is behind the call."""
        if self.openid is None:
            if self.device is not None:
                raise Forbidden("A device acts for a citizen only after scanning their code.")
            raise Unauthorized("Sign in to the City Brain app to use this mini-app.")
        return self.openid

    def require_role(self, *roles: str) -> str:
        """The openid of a signed-in citizen holding one of the platform `roles`; else 401/403.

        For an app's own admin routes (a platform_admin assigning the app's staff)."""
        openid = self.require_citizen()
        if not self.roles & frozenset(roles):
            raise Forbidden(f"This needs the {' or '.join(sorted(roles))} role.")
        return openid

    async def openid_of(self, citizen_id: str) -> str:
        """The openid this app knows a citizen by, from the platform's citizen id (as
        `GET /api/v1/admin/citizens` shows it): only for a platform_admin caller; 404 for
        no such citizen."""
        self.require_role("platform_admin")
        from identity.service import citizen_brief

        if not isinstance(citizen_id, str) or await citizen_brief(citizen_id) is None:
            raise NotFound("No such citizen.")
        return await ensure_openid(self.slug, citizen_id)

    async def limit(self, name: str, limit: int, window_seconds: int) -> None:
        """Count one `name` action of the calling citizen: past `limit` in a fixed window of
        `window_seconds`, 429 `rate_limited` with `Retry-After` (the platform's limiter,
        shared by every process through Redis when there is one)."""
        from app.ratelimit import get_limiter

        openid = self.require_citizen()
        await get_limiter().check(f"miniapp:{self.slug}:{name}:{openid}", limit, window_seconds)

    @property
    def files(self) -> AppFiles:
        """The platform's file store, keys under this app's slug (`miniapps/sdk_files.py`)."""
        return AppFiles(self.slug)

    async def audit(self, action: str, target: str) -> None:
        """Record a staff action in the platform's audit log (`GET /api/v1/admin/audit`):
        the actor is the signed-in citizen, the action `<slug>.<action>`."""
        from identity.service import record_audit

        if self._citizen_id is None:
            raise RuntimeError("audit() needs a signed-in staff member behind the context")
        await record_audit(self._citizen_id, f"{self.slug}.{action}"[:60], target[:200])

    def as_merchant(self) -> MiniAppContext:
        """The app itself, with no caller: to capture or void what it holds after the
        citizen's consent ended (the obligation outlives consent)."""
        return MiniAppContext(manifest=self.manifest, settings=self.settings)

    def require_device(self, message: str | None = None) -> Device:
        """The calling gate; 401 when the call carries no token at all, 403 for a citizen's.

        `message` is the 401's detail: tell the caller which device to call from.
        """
        if self.device is None:
            if not self.has_citizen:
                raise Unauthorized(
                    message or "Call with the gate token of one of this mini-app's venues."
                )
            raise Forbidden("Only a gate of one of this mini-app's venues may call this.")
        return self.device

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ScopeRequired(f"This needs the {scope} scope, which was not granted.")

    def _citizen(self, scope: str) -> str:
        """The internal citizen id behind the context (or the sandbox citizen's)."""
        self.require_citizen()
        self.require_scope(scope)
        citizen = self._sandbox_citizen or self._citizen_id
        assert citizen is not None
        return citizen

    async def record_staff_read(self, openid: str, what: str, detail: str = "") -> None:
        """Write in a citizen's data-access log ("who read my data", `GET
        /api/v1/me/data-access`) that this app's staff read their data: the citizen the app
        knows by `openid`, `what` a short word (`step_opened`), `detail` no personal data. For
        staff screens that open what a citizen gave the app (a department reading an
        application). Joins the open transaction."""
        self.require_citizen()
        citizen = await citizen_for_openid(self.slug, openid)
        if citizen is not None:
            await record_data_access(citizen, self.slug, what, detail)

    async def _log(self, what: str, detail: str = "") -> None:
        if self._citizen_id is not None and self._sandbox_citizen is None:
            await record_data_access(self._citizen_id, self.slug, what, detail)

    async def profile(self) -> ProfileOut:
        """The openid and the masked name (`profile.basic`)."""
        citizen = self._citizen("profile.basic")
        assert self.openid is not None
        if self._sandbox_citizen:
            return ProfileOut(self.openid, await sandbox.masked_name(citizen))
        from identity.service import citizen_brief

        brief = await citizen_brief(citizen)
        await self._log("profile")
        return ProfileOut(self.openid, brief.name_masked if brief else None)

    async def for_openid(self, openid: str) -> MiniAppContext:
        """Act for a citizen the app knows by openid (a job, a webhook), under their grant."""
        from miniapps.service import citizen_for_openid

        citizen_id = await citizen_for_openid(self.slug, openid)
        if citizen_id is None:
            raise NotFound("No citizen has this openid for this mini-app.")
        scopes = await granted_scopes(self.slug, citizen_id)
        return MiniAppContext(
            manifest=self.manifest,
            settings=self.settings,
            citizen_id=citizen_id,
            openid=openid,
            scopes=scopes & frozenset(self.manifest.scopes),
        )

    def seal(self, text: str, purpose: str) -> str:
        """`text` sealed with this app's own key for `purpose` (put the row's id in it), to
        store personal data the app must keep; only `unseal` with the same purpose opens it."""
        return Sealer(self.slug).seal(text, purpose)

    def unseal(self, sealed: str, purpose: str) -> str:
        """What `seal` was given for `purpose`; `SealBroken` (a 500) if it does not open."""
        return Sealer(self.slug).unseal(sealed, purpose)

    async def enqueue(self, job: Callable[..., Awaitable[Any]], **kwargs: Any) -> None:
        """Queue one of this app's jobs (declared in its `jobs`), JSON-safe keyword arguments."""
        from app.jobs import enqueue

        await enqueue(job, **kwargs)


class WalletFacade:
    """The citizen's credit wallet, with this app as the merchant."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    def _mode(self, mode: str) -> None:
        if mode not in self._ctx.manifest.charge_modes:
            raise Forbidden(f"This mini-app does not declare the {mode!r} charge mode.")

    async def require_active(self) -> None:
        """Refuse as a charge would, without making one: a check before a service is given
        on credit (a barrier opening). 403 scope_required or real_name_required, 402
        wallet_suspended or credit_limit_exceeded; nothing is held, charged or logged."""
        ctx = self._ctx
        citizen = ctx._citizen("wallet.charge")
        if ctx._sandbox_citizen:
            return  # sandbox wallets are never suspended; a charge checks their credit
        from wallet.errors import CreditLimitExceeded, WalletSuspended
        from wallet.service import wallet_view

        wallet = await wallet_view(citizen)  # real_name_required before a wallet exists
        if wallet.status != "active":
            raise WalletSuspended(
                "The wallet is suspended until the overdue bill is repaid; "
                "no new holds or charges meanwhile."
            )
        if wallet.available <= 0:
            raise CreditLimitExceeded("No credit is available on this wallet.")

    async def hold(self, amount: int, memo: str = "", expires_in: int = 86_400) -> HoldOut:
        ctx = self._ctx
        citizen = ctx._citizen("wallet.charge")
        self._mode("hold")
        if ctx._sandbox_citizen:
            return await sandbox.create_hold(ctx.slug, citizen, amount, memo, expires_in)
        from wallet.service import create_hold

        async with atomic():
            held = _as(await create_hold(citizen, ctx.slug, amount, memo, expires_in), HoldOut)
            await ctx._log("wallet.hold", f"{amount} fen {memo}")
        return held

    async def charge(self, amount: int, memo: str = "") -> ChargeOut:
        ctx = self._ctx
        citizen = ctx._citizen("wallet.charge")
        self._mode("charge")
        if ctx._sandbox_citizen:
            return await sandbox.charge(ctx.slug, citizen, amount, memo)
        from wallet.service import charge

        async with atomic():
            charged = _as(await charge(citizen, ctx.slug, amount, memo), ChargeOut)
            await ctx._log("wallet.charge", f"{amount} fen {memo}")
        return charged

    async def capture(self, hold_id: str, amount: int) -> CaptureOut:
        """Capture what this app holds: allowed after the citizen revoked the grant."""
        ctx = self._ctx
        ctx.require_scope("wallet.charge")
        if sandbox.is_sandbox_id(hold_id):
            return await sandbox.capture(ctx.slug, hold_id, amount)
        from wallet.service import capture_hold

        async with atomic():
            captured = _as(await capture_hold(ctx.slug, hold_id, amount), CaptureOut)
            await ctx._log("wallet.capture", f"{captured.captured} fen")
        return captured

    async def void(self, hold_id: str) -> VoidOut:
        ctx = self._ctx
        ctx.require_scope("wallet.charge")
        if sandbox.is_sandbox_id(hold_id):
            return await sandbox.void(ctx.slug, hold_id)
        from wallet.service import void_hold

        return _as(await void_hold(ctx.slug, hold_id), VoidOut)

    async def refund(
        self, amount: int, *, charge_id: str | None = None, hold_id: str | None = None
    ) -> RefundOut:
        ctx = self._ctx
        ctx.require_scope("wallet.charge")
        if (charge_id is None) == (hold_id is None):
            raise ValidationFailed(
                errors=[FieldError("charge_id", "give either charge_id or hold_id")]
            )
        if sandbox.is_sandbox_id(charge_id or hold_id or ""):
            return await sandbox.refund(ctx.slug, amount, charge_id=charge_id, hold_id=hold_id)
        from wallet.service import refund

        async with atomic():
            refunded = _as(
                await refund(ctx.slug, charge_id=charge_id, hold_id=hold_id, amount=amount),
                RefundOut,
            )
            await ctx._log("wallet.refund", f"{amount} fen")
        return refunded


class NotifyFacade:
    """Notifications with the app's own templates, to citizens who subscribed to them."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    async def send(self, template: str, data: Mapping[str, Any] | None = None) -> str:
        ctx = self._ctx
        citizen = ctx._citizen("notify.send")
        if template not in ctx.manifest.templates:
            from notifications.errors import UnknownTemplate

            raise UnknownTemplate(f"{ctx.slug} declares no template {template!r}.")
        if ctx._sandbox_citizen:
            return sandbox.notification_id()
        from notifications.outbox import send_from_app

        return await send_from_app(ctx.slug, citizen, template, dict(data or {}))


class HealthcodeFacade:
    """The colour of the citizen's health code, and nothing else of it."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    async def colour(self) -> str | None:
        ctx = self._ctx
        citizen = ctx._citizen("healthcode.read")
        if ctx._sandbox_citizen:
            return await sandbox.colour(citizen)
        from healthcode.service import current_colour

        colour = await current_colour(citizen)
        await ctx._log("healthcode", colour or "none")
        return colour


class IdentityFacade:
    """The real name and a per-app hash of the ID number (`identity.realname` only)."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    async def real_identity(self) -> IdentityOut:
        ctx = self._ctx
        citizen = ctx._citizen("identity.realname")
        assert ctx.openid is not None
        if ctx._sandbox_citizen:
            name = await sandbox.real_name(citizen)
            return IdentityOut(ctx.openid, name, id_hash(ctx.slug, f"sandbox:{citizen}"))
        from identity.errors import RealNameRequired
        from identity.service import real_identity

        found = await real_identity(citizen)
        if found is None:
            raise RealNameRequired("This citizen has not verified a real name.")
        await ctx._log("identity")
        return IdentityOut(ctx.openid, found[0], id_hash(ctx.slug, found[1]))


async def demo_openid(slug: str, citizen_id: str) -> str:
    """For a mini-app's demo loader only (`citybrain seed-demo`, never a request): the openid
    of a demo citizen, whose platform id the identity demo puts in `context["citizens"]`."""
    return await ensure_openid(slug, citizen_id)


def id_hash(slug: str, id_number: str) -> str:
    """Keyed per app: two apps get unrelated hashes of one ID number."""
    return get_keyring().lookup_hash(f"{slug}:{id_number}", "app_id_hash")


# Building contexts --------------------------------------------------------------------------


async def citizen_context(
    manifest: Manifest,
    settings: Mapping[str, str],
    citizen_id: str,
    roles: frozenset[str] = frozenset(),
) -> MiniAppContext:
    """A signed-in citizen using an in-process app: their openid, granted scopes and roles."""
    openid = await ensure_openid(manifest.slug, citizen_id)
    scopes = await granted_scopes(manifest.slug, citizen_id)
    return MiniAppContext(
        manifest=manifest,
        settings=settings,
        citizen_id=citizen_id,
        openid=openid,
        scopes=scopes & frozenset(manifest.scopes),
        roles=roles,
    )


def _audience(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized("The token is invalid, expired or not for this service.") from None
    audience = claims.get("aud")
    return audience if isinstance(audience, str) else ""


async def provide_context(request: Request[Any, Any, Any]) -> MiniAppContext:
    """The Litestar dependency (`ctx`) the platform gives every in-process mini-app route."""
    from identity.auth import bearer_token, current_citizen, current_gate
    from miniapps.registry import get_registry

    slug = str(request.route_handler.opt.get("miniapp", ""))
    loaded = get_registry().get(slug)
    if loaded is None:
        raise NotFound("No such mini-app.")
    manifest, settings = loaded.manifest, loaded.settings
    if "authorization" not in request.headers:
        return MiniAppContext(manifest=manifest, settings=settings, scopes=frozenset())
    audience = _audience(bearer_token(request))
    if audience == "citizen":
        citizen = await current_citizen(request)
        return await citizen_context(manifest, settings, citizen.citizen_id, citizen.roles)
    if audience == "gate":
        gate = await current_gate(request)
        if gate.venue_kind not in manifest.venue_kinds:
            raise Forbidden("This gate's venue is not one of this mini-app's venues.")
        context = MiniAppContext(manifest=manifest, settings=settings)
        context.device = Device(gate.gate_id, gate.venue_id, gate.venue_kind, context)
        return context
    raise Unauthorized("Call a mini-app with a citizen's or a gate's token.")


declare_problems(provide_context, Unauthorized, Forbidden)

"""What the SDK gives every mini-app besides the facades' calls: the device check, the wallet
check before giving credit, the scan refusals and the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from miniapps.sdk import (
    CodeExpired,
    CodeInvalid,
    Device,
    Forbidden,
    Manifest,
    MiniAppContext,
    ProblemError,
    Unauthorized,
    UnknownPerson,
    as_date,
    as_utc,
    day_bounds,
    local_day,
    local_today,
    maybe_utc,
    now,
    scan_refused,
    set_clock,
)
from tests.app.portal import in_app
from tests.helpers import Api, Citizen
from tests.miniapps.parking.drivers import set_credit_limit, wallet, wallet_time

MANIFEST = Manifest(
    slug="sdk-check",
    name="SDK check",
    version="1.0.0",
    scopes=("wallet.charge",),
    charge_modes=("charge",),
    venue_kinds=("office",),
)


def _for(citizen: Citizen, scopes: tuple[str, ...] = ("wallet.charge",)) -> MiniAppContext:
    return MiniAppContext(
        manifest=MANIFEST, citizen_id=citizen.id, openid="o-sdk", scopes=frozenset(scopes)
    )


class TestRequireDevice:
    def test_no_token_at_all_is_401_with_the_apps_wording(self) -> None:
        nobody = MiniAppContext(manifest=MANIFEST, scopes=frozenset())
        with pytest.raises(Unauthorized) as generic:
            nobody.require_device()
        assert generic.value.status == 401 and generic.value.code == "unauthorized"
        with pytest.raises(Unauthorized, match="front desk"):
            nobody.require_device("Call with the gate token of the front desk.")

    def test_a_citizen_is_403(self) -> None:
        citizen = MiniAppContext(manifest=MANIFEST, openid="o-1", scopes=frozenset())
        with pytest.raises(Forbidden) as refused:
            citizen.require_device("Call with the gate token of the front desk.")
        assert refused.value.status == 403

    def test_a_device_is_returned(self) -> None:
        ctx = MiniAppContext(manifest=MANIFEST)
        ctx.device = Device("g-1", "v-1", "office", ctx)
        assert ctx.require_device() is ctx.device


class TestAsMerchant:
    def test_the_app_without_its_caller(self) -> None:
        citizen = MiniAppContext(
            manifest=MANIFEST, citizen_id="c-1", openid="o-1", scopes=frozenset({"wallet.charge"})
        )
        merchant = citizen.as_merchant()
        assert merchant.manifest is MANIFEST and merchant.settings == citizen.settings
        assert merchant.openid is None and not merchant.has_citizen and merchant.device is None
        with pytest.raises(Unauthorized):
            merchant.require_citizen()


async def _require_active(api: Api, ctx: MiniAppContext) -> ProblemError | None:
    """`ctx.wallet.require_active()` on the app's loop: the refusal, or None."""

    async def check() -> ProblemError | None:
        try:
            await ctx.wallet.require_active()
        except ProblemError as refusal:
            return refusal
        return None

    return await in_app(api.client, check)


class TestWalletRequireActive:
    async def test_an_active_wallet_passes_and_nothing_is_booked(self, api: Api) -> None:
        citizen = await api.citizen()
        assert await _require_active(api, _for(citizen)) is None
        mine = await wallet(api, citizen)
        assert (mine["held"], mine["outstanding"]) == (0, 0)
        entries = await api.client.get("/api/v1/wallet/entries", headers=citizen.headers)
        assert entries.json()["items"] == []
        log = await api.client.get("/api/v1/me/data-access", headers=citizen.headers)
        assert log.json()["items"] == []

    async def test_without_the_scope(self, api: Api) -> None:
        refusal = await _require_active(api, _for(await api.citizen(), scopes=()))
        assert refusal is not None and refusal.code == "scope_required"

    async def test_without_real_name(self, api: Api) -> None:
        refusal = await _require_active(api, _for(await api.citizen(verified=False)))
        assert refusal is not None and (refusal.status, refusal.code) == (
            403,
            "real_name_required",
        )

    async def test_a_suspended_wallet(self, api: Api) -> None:
        from wallet import service

        citizen = await api.citizen()
        await in_app(api.client, service.charge, citizen.id, "test-other-shop", 100, "午餐")
        assert await _require_active(api, _for(citizen)) is None
        with wallet_time(timedelta(days=40)):  # the bill is overdue by then
            refusal = await _require_active(api, _for(citizen))
        assert refusal is not None and (refusal.status, refusal.code) == (402, "wallet_suspended")

    async def test_no_credit_left(self, api: Api) -> None:
        citizen = await api.citizen()
        await set_credit_limit(api, citizen, 0)
        refusal = await _require_active(api, _for(citizen))
        assert refusal is not None and (refusal.status, refusal.code) == (
            402,
            "credit_limit_exceeded",
        )


class TestScanRefused:
    def test_each_reason_has_its_problem(self) -> None:
        expired = scan_refused("code_expired", holder="guest")
        assert isinstance(expired, CodeExpired)
        assert (expired.status, expired.code, expired.title) == (
            422,
            "code_expired",
            "The health code has expired",
        )
        assert "ask the guest" in expired.detail
        assert isinstance(scan_refused("unknown_person"), UnknownPerson)
        assert scan_refused("unknown_person").code == "unknown_person"
        for other in ("code_invalid", "bad_signature", None):
            assert isinstance(scan_refused(other), CodeInvalid)
            assert scan_refused(other).code == "code_invalid"


class TestClock:
    def test_a_set_clock_is_read_in_utc_and_restored(self) -> None:
        local = datetime(2026, 3, 1, 7, 30, tzinfo=timezone(timedelta(hours=8)))
        set_clock(lambda: local)
        try:
            assert now() == local and now().tzinfo is UTC
            assert local_today() == date(2026, 3, 1)
        finally:
            set_clock(None)
        assert abs(now() - datetime.now(UTC)) < timedelta(seconds=5)

    def test_days_are_asia_shanghai_days(self) -> None:
        assert local_day(datetime(2026, 2, 28, 16, 0, tzinfo=UTC)) == date(2026, 3, 1)
        assert local_day(datetime(2026, 2, 28, 15, 59, tzinfo=UTC)) == date(2026, 2, 28)
        start, end = day_bounds(date(2026, 3, 1))
        assert start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
        assert end == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)

    def test_stored_values_read_back(self) -> None:
        assert as_utc("2026-03-01T08:00:00+08:00") == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
        assert as_utc(datetime(2026, 3, 1)) == datetime(2026, 3, 1, tzinfo=UTC)
        assert maybe_utc(None) is None
        assert as_date("2026-03-01") == as_date(date(2026, 3, 1)) == date(2026, 3, 1)
        with pytest.raises(TypeError):
            as_utc(12)
        with pytest.raises(TypeError):
            as_date(12)

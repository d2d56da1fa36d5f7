"""Holds at service level (what `/api/v1/apps/wallet/holds*` calls): create, capture, void,
expire, with every error code the app-facing endpoints answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.errors import NotFound, ValidationFailed
from identity.errors import RealNameRequired
from tests.helpers import Api
from tests.wallet.conftest import TestClock, WalletFactory
from wallet.bureau import DevCreditBureau, limit_for_score
from wallet.errors import CreditLimitExceeded, HoldNotOpen

pytestmark = pytest.mark.usefixtures("consistent_ledger")


async def kinds(svc: Any, citizen_id: str) -> list[tuple[str, int]]:
    entries, _ = await svc.list_entries(citizen_id, 200, None)
    return [(e.kind, e.amount) for e in reversed(entries)]


class TestCreateHold:
    async def test_a_hold_takes_from_available(
        self, svc: Any, new_wallet: WalletFactory, merchant: str, wallet_clock: TestClock
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 3_000, "房费预授权", 3600)
        assert (hold.amount, hold.status) == (3_000, "held")
        assert hold.expires_at == wallet_clock.now + timedelta(seconds=3600)
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.credit_limit, wallet.held, wallet.available) == (10_000, 3_000, 7_000)
        assert (wallet.outstanding, wallet.status, wallet.next_due) == (0, "active", None)
        assert await kinds(svc, citizen.id) == [("hold", 3_000)]

    async def test_up_to_the_limit_and_not_a_fen_more(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.create_hold(citizen.id, merchant, 10_000, "", 600)
        with pytest.raises(CreditLimitExceeded):
            await svc.create_hold(citizen.id, merchant, 1, "", 600)
        assert (await svc.wallet_view(citizen.id)).available == 0

    async def test_refused_beyond_available_leaves_nothing(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        with pytest.raises(CreditLimitExceeded) as refused:
            await svc.create_hold(citizen.id, merchant, 10_001, "", 600)
        assert refused.value.status == 402
        assert refused.value.code == "credit_limit_exceeded"
        assert await kinds(svc, citizen.id) == []
        assert (await svc.wallet_view(citizen.id)).held == 0

    @pytest.mark.parametrize(
        ("amount", "memo", "expires_in", "field"),
        [
            (0, "", 600, "amount"),
            (-5, "", 600, "amount"),
            (True, "", 600, "amount"),
            (1_000_000_001, "", 600, "amount"),
            (100, "x" * 201, 600, "memo"),
            (100, "", 59, "expires_in"),
            (100, "", 34_560_001, "expires_in"),
        ],
    )
    async def test_bad_input(
        self,
        svc: Any,
        new_wallet: WalletFactory,
        merchant: str,
        amount: int,
        memo: str,
        expires_in: int,
        field: str,
    ) -> None:
        citizen = await new_wallet()
        with pytest.raises(ValidationFailed) as invalid:
            await svc.create_hold(citizen.id, merchant, amount, memo, expires_in)
        assert invalid.value.errors is not None
        assert invalid.value.errors[0].field == field
        assert await kinds(svc, citizen.id) == []

    async def test_the_longest_hold_is_400_days(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 100, "押金", 34_560_000)
        assert hold.status == "held"

    async def test_a_citizen_without_real_name_has_no_wallet(
        self, svc: Any, api: Api, merchant: str
    ) -> None:
        citizen = await api.citizen(verified=False)
        with pytest.raises(RealNameRequired):
            await svc.create_hold(citizen.id, merchant, 100, "", 600)
        assert not await svc.is_active(citizen.id)

    async def test_an_unknown_citizen_is_not_found(self, svc: Any, merchant: str) -> None:
        with pytest.raises(NotFound):
            await svc.create_hold("no-such-citizen", merchant, 100, "", 600)

    async def test_the_first_limit_comes_from_the_credit_score(
        self, svc: Any, api: Api, merchant: str
    ) -> None:
        citizen = await api.citizen()
        score = await DevCreditBureau().credit_score(citizen.id)
        await svc.create_hold(citizen.id, merchant, 100, "", 600)
        wallet = await svc.wallet_view(citizen.id)
        assert wallet.credit_limit == limit_for_score(score)
        assert 100_000 <= wallet.credit_limit <= 500_000
        assert await svc.is_active(citizen.id)


class TestCapture:
    async def test_partial_capture_releases_the_rest(
        self, svc: Any, check: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 5_000, "住宿", 3600)
        captured = await svc.capture_hold(merchant, hold.hold_id, 3_000)
        assert (captured.status, captured.captured, captured.released) == ("captured", 3_000, 2_000)
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.held, wallet.outstanding, wallet.available) == (0, 3_000, 7_000)
        assert wallet.next_due is not None and wallet.next_due.amount == 3_000
        assert await kinds(svc, citizen.id) == [
            ("hold", 5_000),
            ("capture", 3_000),
            ("release", 2_000),
        ]
        to_app = await check.app_events(merchant, "hold.captured")
        assert [(e["citizen_id"], e["data"]) for e in to_app] == [
            (None, f'{{"hold_id":"{hold.hold_id}","captured":3000,"released":2000}}')
        ]
        to_citizen = await check.events_of(citizen.id)
        assert [e["kind"] for e in to_citizen] == ["wallet.captured"]

    async def test_full_capture_releases_nothing(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 800, "", 600)
        captured = await svc.capture_hold(merchant, hold.hold_id, 800)
        assert (captured.captured, captured.released) == (800, 0)
        assert await kinds(svc, citizen.id) == [("hold", 800), ("capture", 800)]

    async def test_more_than_held_is_refused(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 800, "", 600)
        with pytest.raises(ValidationFailed):
            await svc.capture_hold(merchant, hold.hold_id, 801)
        with pytest.raises(ValidationFailed):
            await svc.capture_hold(merchant, hold.hold_id, 0)
        assert (await svc.capture_hold(merchant, hold.hold_id, 800)).captured == 800

    async def test_a_hold_is_captured_once(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 800, "", 600)
        await svc.capture_hold(merchant, hold.hold_id, 500)
        with pytest.raises(HoldNotOpen) as again:
            await svc.capture_hold(merchant, hold.hold_id, 100)
        assert (again.value.status, again.value.code) == (409, "hold_not_open")
        with pytest.raises(HoldNotOpen):
            await svc.void_hold(merchant, hold.hold_id)
        assert (await svc.wallet_view(citizen.id)).outstanding == 500

    async def test_another_apps_hold_is_not_found(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 800, "", 600)
        with pytest.raises(NotFound):
            await svc.capture_hold("another-app", hold.hold_id, 100)
        with pytest.raises(NotFound):
            await svc.void_hold("another-app", hold.hold_id)
        with pytest.raises(NotFound):
            await svc.capture_hold(merchant, "no-such-hold", 100)
        assert (await svc.wallet_view(citizen.id)).held == 800


class TestVoid:
    async def test_void_gives_it_all_back(
        self, svc: Any, check: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 4_000, "", 600)
        voided = await svc.void_hold(merchant, hold.hold_id)
        assert (voided.hold_id, voided.status) == (hold.hold_id, "voided")
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.held, wallet.outstanding, wallet.available) == (0, 0, 10_000)
        assert await kinds(svc, citizen.id) == [("hold", 4_000), ("release", 4_000)]
        assert [e["miniapp"] for e in await check.events_of(citizen.id, "hold.voided")] == [
            merchant
        ]
        with pytest.raises(HoldNotOpen):
            await svc.void_hold(merchant, hold.hold_id)
        with pytest.raises(HoldNotOpen):
            await svc.capture_hold(merchant, hold.hold_id, 1)


class TestExpiry:
    async def test_the_job_expires_holds_past_their_time(
        self,
        svc: Any,
        jobs: Any,
        check: Any,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(10_000)
        short = await svc.create_hold(citizen.id, merchant, 1_000, "", 60)
        long = await svc.create_hold(citizen.id, merchant, 2_000, "", 3600)
        wallet_clock.advance(seconds=59)
        await jobs.expire_holds()
        assert (await svc.wallet_view(citizen.id)).held == 3_000
        wallet_clock.advance(seconds=1)
        assert await jobs.expire_holds() >= 1
        assert (await svc.wallet_view(citizen.id)).held == 2_000
        with pytest.raises(HoldNotOpen) as late:
            await svc.capture_hold(merchant, short.hold_id, 1_000)
        assert "expired" in late.value.detail
        assert len(await check.events_of(citizen.id, "hold.expired")) == 1
        assert (await svc.capture_hold(merchant, long.hold_id, 2_000)).captured == 2_000

    async def test_a_capture_before_the_job_ran_still_wins(
        self, svc: Any, new_wallet: WalletFactory, merchant: str, wallet_clock: TestClock
    ) -> None:
        citizen = await new_wallet()
        hold = await svc.create_hold(citizen.id, merchant, 1_000, "", 60)
        wallet_clock.advance(seconds=120)
        assert (await svc.capture_hold(merchant, hold.hold_id, 1_000)).captured == 1_000
        assert not await svc.expire_hold(hold.hold_id)

    async def test_long_holds_are_announced_a_day_before_they_expire(
        self,
        svc: Any,
        jobs: Any,
        check: Any,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet()
        await svc.create_hold(citizen.id, merchant, 1_000, "租房押金", 3 * 86_400)
        await svc.create_hold(citizen.id, merchant, 1_000, "停车", 3_600)
        await jobs.warn_expiring_holds()
        assert await check.events_of(citizen.id, "hold.expiring") == []
        wallet_clock.advance(days=2, hours=1)
        await jobs.expire_holds()
        await jobs.expire_holds()
        warned = await check.events_of(citizen.id, "hold.expiring")
        assert [e["miniapp"] for e in warned] == [merchant]

"""Due dates, reminders, overdue suspension (for every mini-app at once) and its lifting,
and statements."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import pytest

from tests.clocks import SHANGHAI
from tests.wallet.conftest import OnApp, TestClock, WalletFactory
from wallet import statements
from wallet.dues import due_at_for, last_day_to_pay
from wallet.errors import WalletSuspended

pytestmark = pytest.mark.usefixtures("consistent_ledger")


class TestDueDates:
    def test_a_bill_falls_due_at_the_end_of_its_tenth_local_day(self) -> None:
        morning = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Hangzhou
        assert due_at_for(morning) == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
        assert last_day_to_pay(due_at_for(morning)) == "2026-03-11"
        after_midnight = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 March there
        assert last_day_to_pay(due_at_for(after_midnight)) == "2026-03-12"

    @pytest.mark.parametrize(
        ("made", "last_day"),
        [
            (datetime(2026, 12, 21, 15, 59, 59, tzinfo=UTC), "2026-12-31"),  # 23:59:59 local
            (datetime(2026, 12, 21, 16, 0, 0, tzinfo=UTC), "2027-01-01"),  # 00:00:00 local
            (datetime(2026, 12, 25, 2, 0, tzinfo=UTC), "2027-01-04"),  # across the year
            (datetime(2027, 2, 20, 2, 0, tzinfo=UTC), "2027-03-02"),  # across a short month
            (datetime(2028, 2, 20, 2, 0, tzinfo=UTC), "2028-03-01"),  # and a leap one
        ],
    )
    def test_local_midnight_month_and_year_ends(self, made: datetime, last_day: str) -> None:
        due = due_at_for(made)
        assert last_day_to_pay(due) == last_day
        # Overdue from the first second of the next local day, not before.
        assert due.astimezone(SHANGHAI).time() == time(0)
        assert (due - timedelta(seconds=1)).astimezone(SHANGHAI).date().isoformat() == last_day

    def test_a_citizen_abroad_has_the_same_due_date(self) -> None:
        # The same instant written with a phone's offset abroad: due dates are Hangzhou days.
        at_home = datetime(2026, 12, 21, 16, 30, tzinfo=UTC)
        new_york = at_home.astimezone(timezone(timedelta(hours=-5)))
        assert due_at_for(new_york) == due_at_for(at_home)
        assert last_day_to_pay(due_at_for(new_york)) == "2027-01-01"

    async def test_the_wallet_shows_the_next_due(
        self, svc: Any, new_wallet: WalletFactory, merchant: str, wallet_clock: TestClock
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 1_000, "")
        wallet_clock.advance(days=2)
        await svc.charge(citizen.id, merchant, 700, "")
        next_due = (await svc.wallet_view(citizen.id)).next_due
        assert next_due is not None
        assert (next_due.amount, next_due.due_at) == (
            1_000,
            due_at_for(wallet_clock.now - timedelta(days=2)),
        )


class TestReminders:
    async def test_once_before_the_due_date(
        self,
        svc: Any,
        jobs: Any,
        check: Any,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 1_000, "")
        due = due_at_for(wallet_clock.now)
        wallet_clock.now = due - timedelta(days=4)
        await jobs.review_dues()
        assert await check.events_of(citizen.id, "wallet.due") == []
        wallet_clock.now = due - timedelta(days=2)
        await jobs.review_dues()
        await jobs.review_dues()
        reminders = await check.events_of(citizen.id, "wallet.due")
        assert len(reminders) == 1
        assert '"amount":1000' in reminders[0]["data"]


class TestOverdue:
    async def test_overdue_suspends_the_wallet_for_every_app(
        self,
        svc: Any,
        jobs: Any,
        check: Any,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 1_000, "")
        open_hold = await svc.create_hold(citizen.id, merchant, 500, "", 40 * 86_400)
        wallet_clock.now = due_at_for(wallet_clock.now) + timedelta(seconds=1)
        # Refused at once, before any job ran, by every mini-app.
        for app in (merchant, "another-app"):
            with pytest.raises(WalletSuspended) as refused:
                await svc.create_hold(citizen.id, app, 1, "", 600)
            assert (refused.value.status, refused.value.code) == (402, "wallet_suspended")
            with pytest.raises(WalletSuspended):
                await svc.charge(citizen.id, app, 1, "")
        wallet = await svc.wallet_view(citizen.id)
        assert wallet.status == "suspended"
        assert wallet.next_due is not None and wallet.next_due.amount == 1_000
        assert not await svc.is_active(citizen.id)
        await jobs.review_dues()
        await jobs.review_dues()
        assert len(await check.events_of(citizen.id, "wallet.overdue")) == 1
        assert len(await check.events_of(citizen.id, "wallet.suspended")) == 1
        # What was already authorised may still be captured.
        await svc.capture_hold(merchant, open_hold.hold_id, 500)
        assert (await svc.repay(citizen.id, 999)).status == "suspended"
        lifted = await svc.repay(citizen.id, 1)
        assert (lifted.status, lifted.outstanding) == ("active", 500)
        assert await svc.is_active(citizen.id)
        await svc.create_hold(citizen.id, "another-app", 100, "", 600)

    async def test_reminders_go_on_while_overdue(
        self,
        svc: Any,
        jobs: Any,
        check: Any,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 1_000, "")
        wallet_clock.now = due_at_for(wallet_clock.now) + timedelta(hours=1)
        await jobs.review_dues()
        wallet_clock.advance(days=2)
        await jobs.review_dues()
        assert len(await check.events_of(citizen.id, "wallet.overdue")) == 1
        wallet_clock.advance(days=1, seconds=1)
        await jobs.review_dues()
        assert len(await check.events_of(citizen.id, "wallet.overdue")) == 2
        await svc.repay(citizen.id, 1_000)
        wallet_clock.advance(days=7)
        await jobs.review_dues()
        assert len(await check.events_of(citizen.id, "wallet.overdue")) == 2

    async def test_a_refund_of_the_overdue_bill_lifts_it_too(
        self, svc: Any, new_wallet: WalletFactory, merchant: str, wallet_clock: TestClock
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 1_000, "")
        wallet_clock.now = due_at_for(wallet_clock.now) + timedelta(hours=1)
        assert (await svc.wallet_view(citizen.id)).status == "suspended"
        await svc.refund(merchant, charge_id=charge.charge_id, amount=1_000)
        assert (await svc.wallet_view(citizen.id)).status == "active"


class TestStatements:
    async def test_bills_grouped_by_due_date(
        self,
        svc: Any,
        on_app: OnApp,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(10_000)
        first_day = wallet_clock.now
        await svc.charge(citizen.id, merchant, 1_000, "早餐")
        hold = await svc.create_hold(citizen.id, merchant, 900, "停车", 3600)
        wallet_clock.advance(seconds=1)
        await svc.capture_hold(merchant, hold.hold_id, 600)
        wallet_clock.advance(days=2)
        await svc.charge(citizen.id, merchant, 300, "午餐")
        page, cursor = await on_app(statements.list_statements, citizen.id, 1, None)
        assert cursor is not None
        [latest] = page
        assert (latest.amount, latest.remaining, latest.status) == (300, 300, "open")
        assert [i.memo for i in latest.items] == ["午餐"]
        page, cursor = await on_app(statements.list_statements, citizen.id, 1, cursor)
        [earlier] = page
        assert cursor is None
        assert earlier.due_at == due_at_for(first_day)
        assert earlier.id == earlier.due_date == last_day_to_pay(earlier.due_at)
        assert [(i.kind, i.amount) for i in earlier.items] == [("charge", 1_000), ("capture", 600)]
        wallet_clock.now = earlier.due_at
        page, _ = await on_app(statements.list_statements, citizen.id, 50, None)
        assert [s.status for s in page] == ["open", "overdue"]
        await svc.repay(citizen.id, 1_600)
        page, _ = await on_app(statements.list_statements, citizen.id, 50, None)
        assert [(s.status, s.remaining) for s in page] == [("open", 300), ("paid", 0)]

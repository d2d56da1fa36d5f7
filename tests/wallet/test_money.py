"""Charges, refunds (with payouts), repayments and limit changes, at service level."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import NotFound, ValidationFailed
from tests.wallet.conftest import WalletFactory
from wallet.channel import SimulatedChannel, get_payment_channel
from wallet.errors import (
    CreditLimitExceeded,
    Overpayment,
    PaymentFailed,
    RefundExceedsCharge,
)

pytestmark = pytest.mark.usefixtures("consistent_ledger")


async def kinds(svc: Any, citizen_id: str) -> list[tuple[str, int]]:
    entries, _ = await svc.list_entries(citizen_id, 200, None)
    return [(e.kind, e.amount) for e in reversed(entries)]


class TestCharge:
    async def test_a_charge_is_owed_at_once(
        self, svc: Any, check: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 2_000, "门票")
        assert charge.amount == 2_000 and charge.charge_id
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.outstanding, wallet.held, wallet.available) == (2_000, 0, 8_000)
        assert wallet.next_due is not None and wallet.next_due.amount == 2_000
        entries, _ = await svc.list_entries(citizen.id, 10, None)
        assert (entries[0].kind, entries[0].memo, entries[0].miniapp) == (
            "charge",
            "门票",
            merchant,
        )
        assert [e["miniapp"] for e in await check.events_of(citizen.id, "wallet.captured")] == [
            merchant
        ]

    async def test_holds_and_charges_share_the_limit(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.create_hold(citizen.id, merchant, 6_000, "", 600)
        with pytest.raises(CreditLimitExceeded):
            await svc.charge(citizen.id, merchant, 4_001, "")
        await svc.charge(citizen.id, merchant, 4_000, "")
        assert (await svc.wallet_view(citizen.id)).available == 0

    async def test_bad_input(self, svc: Any, new_wallet: WalletFactory, merchant: str) -> None:
        citizen = await new_wallet()
        for amount, memo in ((0, ""), (-1, ""), (5, "长" * 201)):
            with pytest.raises(ValidationFailed):
                await svc.charge(citizen.id, merchant, amount, memo)
        assert await kinds(svc, citizen.id) == []


class TestRefund:
    async def test_part_of_a_charge(
        self, svc: Any, check: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 3_000, "")
        refund = await svc.refund(merchant, charge_id=charge.charge_id, amount=1_000)
        assert refund.amount == 1_000 and refund.refund_id
        assert (await svc.wallet_view(citizen.id)).outstanding == 2_000
        assert await kinds(svc, citizen.id) == [("charge", 3_000), ("refund", 1_000)]
        created = await check.app_events(merchant, "refund.created")
        assert [e["citizen_id"] for e in created] == [None]
        assert refund.refund_id in created[0]["data"]
        assert len(await check.events_of(citizen.id, "wallet.refunded")) == 1

    async def test_never_more_than_was_taken(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 3_000, "")
        await svc.refund(merchant, charge_id=charge.charge_id, amount=1_000)
        with pytest.raises(RefundExceedsCharge) as refused:
            await svc.refund(merchant, charge_id=charge.charge_id, amount=2_001)
        assert (refused.value.status, refused.value.code) == (422, "refund_exceeds_charge")
        await svc.refund(merchant, charge_id=charge.charge_id, amount=2_000)
        with pytest.raises(RefundExceedsCharge):
            await svc.refund(merchant, charge_id=charge.charge_id, amount=1)
        assert (await svc.wallet_view(citizen.id)).outstanding == 0

    async def test_what_was_already_repaid_is_paid_out(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 3_000, "")
        await svc.repay(citizen.id, 3_000)
        await svc.refund(merchant, charge_id=charge.charge_id, amount=1_000)
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.outstanding, wallet.available) == (0, 10_000)
        assert (await kinds(svc, citizen.id))[-2:] == [("refund", 1_000), ("payout", 1_000)]

    async def test_a_refund_pays_other_debts_before_paying_out(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        first = await svc.charge(citizen.id, merchant, 3_000, "")
        await svc.charge(citizen.id, merchant, 2_000, "")
        await svc.repay(citizen.id, 3_000)  # pays the first charge (oldest first)
        await svc.refund(merchant, charge_id=first.charge_id, amount=3_000)
        assert (await svc.wallet_view(citizen.id)).outstanding == 0
        assert (await kinds(svc, citizen.id))[-2:] == [("refund", 3_000), ("payout", 1_000)]

    async def test_a_captured_hold(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 5_000, "", 600)
        with pytest.raises(RefundExceedsCharge):
            await svc.refund(merchant, hold_id=hold.hold_id, amount=1)  # not captured yet
        await svc.capture_hold(merchant, hold.hold_id, 4_000)
        with pytest.raises(RefundExceedsCharge):
            await svc.refund(merchant, hold_id=hold.hold_id, amount=4_001)
        await svc.refund(merchant, hold_id=hold.hold_id, amount=4_000)
        assert (await svc.wallet_view(citizen.id)).outstanding == 0

    async def test_a_voided_hold_has_nothing_to_refund(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 5_000, "", 600)
        await svc.void_hold(merchant, hold.hold_id)
        with pytest.raises(RefundExceedsCharge):
            await svc.refund(merchant, hold_id=hold.hold_id, amount=1)

    async def test_bad_input_and_other_apps(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 3_000, "")
        hold = await svc.create_hold(citizen.id, merchant, 100, "", 600)
        with pytest.raises(ValidationFailed):
            await svc.refund(merchant, amount=100)
        with pytest.raises(ValidationFailed):
            await svc.refund(merchant, charge_id=charge.charge_id, hold_id=hold.hold_id, amount=1)
        with pytest.raises(ValidationFailed):
            await svc.refund(merchant, charge_id=charge.charge_id, amount=0)
        with pytest.raises(NotFound):
            await svc.refund("another-app", charge_id=charge.charge_id, amount=100)
        with pytest.raises(NotFound):
            await svc.refund(merchant, charge_id="no-such-charge", amount=100)
        assert (await svc.wallet_view(citizen.id)).outstanding == 3_000


class TestRepay:
    async def test_repaying_frees_credit(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 4_000, "")
        wallet = await svc.repay(citizen.id, 1_500)
        assert (wallet.outstanding, wallet.available) == (2_500, 7_500)
        entries, _ = await svc.list_entries(citizen.id, 1, None)
        assert (entries[0].kind, entries[0].amount, entries[0].miniapp) == (
            "repayment",
            1_500,
            None,
        )

    async def test_not_more_than_is_owed(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        with pytest.raises(Overpayment):
            await svc.repay(citizen.id, 1)
        await svc.charge(citizen.id, merchant, 4_000, "")
        with pytest.raises(Overpayment) as refused:
            await svc.repay(citizen.id, 4_001)
        assert (refused.value.status, refused.value.code) == (422, "overpayment")
        assert (await svc.repay(citizen.id, 4_000)).outstanding == 0

    async def test_a_refused_payment_books_nothing(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 4_000, "")
        channel = get_payment_channel()
        assert isinstance(channel, SimulatedChannel)
        channel.refuse = True
        try:
            with pytest.raises(PaymentFailed):
                await svc.repay(citizen.id, 1_000)
        finally:
            channel.refuse = False
        assert (await svc.wallet_view(citizen.id)).outstanding == 4_000


class TestCreditLimit:
    async def test_a_lowered_limit_refuses_new_holds_until_paid_down(
        self, svc: Any, api: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 6_000, "")
        admin = await api.admin()
        wallet = await svc.set_credit_limit(admin.id, citizen.id, 5_000)
        assert (wallet.credit_limit, wallet.available, wallet.status) == (5_000, 0, "active")
        with pytest.raises(CreditLimitExceeded):
            await svc.create_hold(citizen.id, merchant, 1, "", 600)
        assert (await svc.repay(citizen.id, 2_000)).available == 1_000
        await svc.create_hold(citizen.id, merchant, 1_000, "", 600)

    async def test_bad_limits(self, svc: Any, api: Any, new_wallet: WalletFactory) -> None:
        citizen = await new_wallet(10_000)
        admin = await api.admin()
        for limit in (-1, 10_000_000_001):
            with pytest.raises(ValidationFailed):
                await svc.set_credit_limit(admin.id, citizen.id, limit)
        assert (await svc.set_credit_limit(admin.id, citizen.id, 0)).available == 0

"""Wallet metrics: committed holds, captures, voids and charges counted with their amounts;
refusals counted by problem code; nothing counted for a transaction that rolled back."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from app.database import atomic
from tests.app.portal import in_app
from tests.helpers import Api
from tests.wallet.conftest import WalletFactory
from wallet import service
from wallet.errors import CreditLimitExceeded, HoldNotOpen

pytestmark = pytest.mark.usefixtures("consistent_ledger")


def ops(operation: str, outcome: str) -> float:
    labels = {"operation": operation, "outcome": outcome}
    return REGISTRY.get_sample_value("citybrain_wallet_operations_total", labels) or 0.0


def fen(operation: str) -> float:
    labels = {"operation": operation}
    return REGISTRY.get_sample_value("citybrain_wallet_amount_fen_total", labels) or 0.0


async def test_committed_operations_count_with_their_amounts(
    svc: Any, new_wallet: WalletFactory, merchant: str
) -> None:
    citizen = await new_wallet(10_000)
    before = {op: (ops(op, "ok"), fen(op)) for op in ("hold", "capture", "void", "charge")}
    kept = await svc.create_hold(citizen.id, merchant, 3_000, "押金", 600)
    given_back = await svc.create_hold(citizen.id, merchant, 1_000, "押金", 600)
    await svc.capture_hold(merchant, kept.hold_id, 2_500)
    await svc.void_hold(merchant, given_back.hold_id)
    await svc.charge(citizen.id, merchant, 700, "停车费")
    assert (ops("hold", "ok"), fen("hold")) == (before["hold"][0] + 2, before["hold"][1] + 4_000)
    assert (ops("capture", "ok"), fen("capture")) == (
        before["capture"][0] + 1,
        before["capture"][1] + 2_500,
    )
    assert (ops("void", "ok"), fen("void")) == (before["void"][0] + 1, before["void"][1] + 1_000)
    assert (ops("charge", "ok"), fen("charge")) == (
        before["charge"][0] + 1,
        before["charge"][1] + 700,
    )


async def test_refusals_count_by_problem_code(
    svc: Any, new_wallet: WalletFactory, merchant: str
) -> None:
    citizen = await new_wallet(1_000)
    over, not_open = ops("hold", "credit_limit_exceeded"), ops("void", "hold_not_open")
    held_fen = fen("hold")
    with pytest.raises(CreditLimitExceeded):
        await svc.create_hold(citizen.id, merchant, 1_001, "", 600)
    hold = await svc.create_hold(citizen.id, merchant, 100, "", 600)
    await svc.void_hold(merchant, hold.hold_id)
    with pytest.raises(HoldNotOpen):
        await svc.void_hold(merchant, hold.hold_id)
    assert ops("hold", "credit_limit_exceeded") == over + 1
    assert ops("void", "hold_not_open") == not_open + 1
    assert fen("hold") == held_fen + 100  # the refused 1,001 moved nothing


async def test_nothing_counted_when_the_transaction_rolls_back(
    api: Api, new_wallet: WalletFactory, merchant: str
) -> None:
    citizen = await new_wallet(10_000)
    held = ops("hold", "ok"), fen("hold")

    async def hold_then_fail() -> None:
        async with atomic():
            await service.create_hold(citizen.id, merchant, 500, "", 600)
            raise RuntimeError("the caller's transaction fails after the hold")

    with pytest.raises(RuntimeError):
        await in_app(api.client, hold_then_fail)
    assert (ops("hold", "ok"), fen("hold")) == held

"""No overspend and no double resolution under real concurrency, on SQLite and PostgreSQL.

The calls run together on the app's event loop (`on_app`), so they interleave at every await;
on PostgreSQL each holds its own pooled connection, so they truly run at once. The last test
shows, on PostgreSQL, that the guard is what makes this safe: the same race with a plain
read-then-write on separate connections overspends.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from typing import Any

import pytest

from tests.wallet.conftest import OnApp, TestClock, WalletFactory
from wallet import service
from wallet.errors import CreditLimitExceeded, HoldNotOpen
from wallet.schemas import HoldCaptured, HoldCreated

pytestmark = pytest.mark.usefixtures("consistent_ledger")


async def together(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


class TestNoOverspend:
    async def test_forty_holds_of_500_against_10000(
        self, svc: Any, on_app: OnApp, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)

        async def race() -> list[Any]:
            return await together(
                *(service.create_hold(citizen.id, merchant, 500, f"#{i}", 600) for i in range(40))
            )

        results = await on_app(race)
        accepted = [r for r in results if isinstance(r, HoldCreated)]
        refused = [r for r in results if isinstance(r, CreditLimitExceeded)]
        assert (len(accepted), len(refused)) == (20, 20), results
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.available, wallet.held) == (0, 10_000)

    async def test_holds_and_charges_racing_together(
        self, svc: Any, on_app: OnApp, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)

        async def race() -> list[Any]:
            holds = (service.create_hold(citizen.id, merchant, 500, "", 600) for _ in range(30))
            charges = (service.charge(citizen.id, merchant, 500, "") for _ in range(30))
            return await together(*holds, *charges)

        results = await on_app(race)
        assert sum(not isinstance(r, Exception) for r in results) == 20, results
        assert all(isinstance(r, CreditLimitExceeded) for r in results if isinstance(r, Exception))
        wallet = await svc.wallet_view(citizen.id)
        assert (wallet.available, wallet.held + wallet.outstanding) == (0, 10_000)

    async def test_many_citizens_at_once(
        self, svc: Any, on_app: OnApp, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizens = [await new_wallet(1_000) for _ in range(5)]

        async def race() -> list[Any]:
            return await together(
                *(
                    service.create_hold(c.id, merchant, 300, "", 600)
                    for c in citizens
                    for _ in range(6)
                )
            )

        results = await on_app(race)
        assert sum(isinstance(r, HoldCreated) for r in results) == 15  # 3 of 6 each
        for citizen in citizens:
            assert (await svc.wallet_view(citizen.id)).available == 100


class TestResolvedOnce:
    async def test_capture_racing_expiry(
        self,
        svc: Any,
        on_app: OnApp,
        new_wallet: WalletFactory,
        merchant: str,
        wallet_clock: TestClock,
    ) -> None:
        citizen = await new_wallet(100_000)
        holds = [await svc.create_hold(citizen.id, merchant, 1_000, "", 60) for _ in range(20)]
        wallet_clock.advance(seconds=61)
        now = wallet_clock.now

        async def race(hold_id: str, capture_first: bool) -> list[Any]:
            capture = service.capture_hold(merchant, hold_id, 700)
            expire = service.expire_hold(hold_id, now)
            return await together(*((capture, expire) if capture_first else (expire, capture)))

        for i, hold in enumerate(holds):
            outcome = await on_app(race, hold.hold_id, i % 2 == 0)
            captured = [r for r in outcome if isinstance(r, HoldCaptured)]
            expired = [r for r in outcome if r is True]
            assert len(captured) + len(expired) == 1, outcome
            assert all(
                isinstance(r, HoldNotOpen) or r is False
                for r in outcome
                if not isinstance(r, HoldCaptured) and r is not True
            ), outcome
        wallet = await svc.wallet_view(citizen.id)
        assert wallet.held == 0
        assert wallet.outstanding % 700 == 0

    async def test_capture_racing_void_and_itself(
        self, svc: Any, on_app: OnApp, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(100_000)
        hold = await svc.create_hold(citizen.id, merchant, 1_000, "", 600)

        async def race() -> list[Any]:
            return await together(
                *(service.capture_hold(merchant, hold.hold_id, 1_000) for _ in range(5)),
                *(service.void_hold(merchant, hold.hold_id) for _ in range(5)),
            )

        results = await on_app(race)
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert all(isinstance(r, HoldNotOpen) for r in results if isinstance(r, Exception))

    async def test_refunds_racing_never_exceed_the_charge(
        self, svc: Any, on_app: OnApp, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 3_000, "")

        async def race() -> list[Any]:
            return await together(
                *(
                    service.refund(merchant, charge_id=charge.charge_id, amount=700)
                    for _ in range(10)
                )
            )

        results = await on_app(race)
        assert sum(not isinstance(r, Exception) for r in results) == 4  # 4 × 700 ≤ 3,000
        assert (await svc.wallet_view(citizen.id)).outstanding == 200


@pytest.mark.postgres
class TestTheGuardMatters:
    async def test_read_then_write_overspends_where_the_guard_does_not(
        self, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        """40 separate connections, all reading before any writes (a barrier makes the
        interleaving certain): checking `available` first and then adding to `held` lets
        every one through; the conditional UPDATE lets exactly 20 through."""
        import asyncpg

        naive_citizen = await new_wallet(10_000)
        guarded_citizen = await new_wallet(10_000)
        url = os.environ["DATABASE_URL"]
        connections = [await asyncpg.connect(url) for _ in range(40)]
        try:
            naive = await self._race(connections, naive_citizen.id, guarded=False)
            guarded = await self._race(connections, guarded_citizen.id, guarded=True)
            held = {
                r["citizen_id"]: r["held"]
                for r in await connections[0].fetch(
                    "SELECT citizen_id, held FROM credit_line WHERE citizen_id = ANY($1)",
                    [naive_citizen.id, guarded_citizen.id],
                )
            }
        finally:
            # These rows were moved without ledger transfers: put them back.
            await connections[0].execute(
                "UPDATE credit_line SET held = 0 WHERE citizen_id = ANY($1)",
                [naive_citizen.id, guarded_citizen.id],
            )
            for connection in connections:
                await connection.close()
        assert naive == 40 and held[naive_citizen.id] == 20_000  # overspent by 10,000 fen
        assert guarded == 20 and held[guarded_citizen.id] == 10_000

    @staticmethod
    async def _race(connections: list[Any], citizen_id: str, *, guarded: bool) -> int:
        barrier = asyncio.Barrier(len(connections))

        async def naive(connection: Any) -> bool:
            async with connection.transaction():
                row = await connection.fetchrow(
                    "SELECT credit_limit - outstanding - held AS available FROM credit_line "
                    "WHERE citizen_id = $1",
                    citizen_id,
                )
                await barrier.wait()
                if row["available"] < 500:
                    return False
                await connection.execute(
                    "UPDATE credit_line SET held = held + 500 WHERE citizen_id = $1", citizen_id
                )
                return True

        async def with_guard(connection: Any) -> bool:
            async with connection.transaction():
                await barrier.wait()
                row = await connection.fetchrow(
                    "UPDATE credit_line SET held = held + 500 WHERE citizen_id = $1 "
                    "AND status = 'active' AND credit_limit - outstanding - held >= 500 "
                    "RETURNING held",
                    citizen_id,
                )
                return row is not None

        attempt = with_guard if guarded else naive
        results = await asyncio.gather(*(attempt(c) for c in connections))
        return sum(results)

"""Monthly rent charged by the scheduled job: once per lease per month, whatever happens."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.app.portal import in_app
from tests.helpers import Api, Citizen
from tests.miniapps.rental.people import (
    BASE,
    RentalClock,
    keyed,
    let_home,
    run_rent_job,
    wallet,
)


async def lease_of(api: Api, who: Citizen, lease: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.get(f"{BASE}/leases/{lease['id']}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def charged_months(api: Api, who: Citizen, lease: dict[str, Any]) -> list[int]:
    return [c["month"] for c in (await lease_of(api, who, lease))["rent_charges"]]


class TestRentJob:
    async def test_each_month_is_charged_once_when_it_falls_due(
        self, api: Api, clock: RentalClock
    ) -> None:
        _, renter, lease = await let_home(api, months=12)
        rent = lease["rent_amount"]
        await run_rent_job(api)
        await run_rent_job(api)
        assert await charged_months(api, renter, lease) == [1]
        assert (await wallet(api, renter))["outstanding"] == rent

        clock.advance(days=20)
        await run_rent_job(api)
        assert await charged_months(api, renter, lease) == [1]

        clock.advance(days=12)
        await run_rent_job(api)
        now = await lease_of(api, renter, lease)
        assert [c["month"] for c in now["rent_charges"]] == [1, 2]
        assert now["rent_charges"][1]["amount"] == rent
        assert now["next_rent_due_on"] > now["rent_charges"][1]["due_on"]
        assert (await wallet(api, renter))["outstanding"] == 2 * rent
        entries = await api.client.get("/api/v1/wallet/entries", headers=renter.headers)
        rent_entries = [e for e in entries.json()["items"] if e["kind"] == "charge"]
        assert [e["miniapp"] for e in rent_entries] == ["rental", "rental"]

    async def test_a_lease_behind_catches_up_month_by_month(
        self, api: Api, clock: RentalClock
    ) -> None:
        _, renter, lease = await let_home(api, months=12)
        clock.advance(days=95)
        await run_rent_job(api)
        assert await charged_months(api, renter, lease) == [1, 2, 3, 4]

    async def test_nothing_after_the_last_month(self, api: Api, clock: RentalClock) -> None:
        _, renter, lease = await let_home(api, months=2)
        clock.advance(days=400)
        await run_rent_job(api)
        await run_rent_job(api)
        now = await lease_of(api, renter, lease)
        assert [c["month"] for c in now["rent_charges"]] == [1, 2]
        assert now["next_rent_due_on"] is None

    async def test_nothing_after_move_out(self, api: Api, clock: RentalClock) -> None:
        owner, renter, lease = await let_home(api, months=12)
        await run_rent_job(api)
        ended = await api.client.post(
            f"{BASE}/leases/{lease['id']}/move-out", headers=owner.headers
        )
        assert ended.status_code == 200, ended.text
        clock.advance(days=62)
        await run_rent_job(api)
        assert await charged_months(api, renter, lease) == [1]

    async def test_two_runs_at_once_charge_once(self, api: Api, clock: RentalClock) -> None:
        from miniapps.rental import manifest
        from miniapps.rental.rent import charge_due_months
        from miniapps.sdk import MiniAppContext

        _, renter, lease = await let_home(api, months=12)

        async def two_runs() -> list[int]:
            ctx = MiniAppContext(manifest=manifest)
            return list(await asyncio.gather(charge_due_months(ctx), charge_due_months(ctx)))

        await in_app(api.client, two_runs)
        assert await charged_months(api, renter, lease) == [1]
        assert (await wallet(api, renter))["outstanding"] == lease["rent_amount"]

    async def test_a_refused_charge_is_retried_after_repayment(
        self, api: Api, clock: RentalClock
    ) -> None:
        from wallet import clock as wallet_clock

        _, renter, lease = await let_home(api, months=12)
        await run_rent_job(api)
        clock.advance(days=32)
        with wallet_clock.travel(timedelta(days=32)):  # the first rent is overdue by now
            await run_rent_job(api)
            now = await lease_of(api, renter, lease)
            assert [c["month"] for c in now["rent_charges"]] == [1]
            assert now["last_rent_failure"] == "wallet_suspended"

            owed = (await wallet(api, renter))["outstanding"]
            repaid = await api.client.post(
                "/api/v1/wallet/repayments", json={"amount": owed}, headers=keyed(renter.headers)
            )
            assert repaid.status_code == 200, repaid.text
            await run_rent_job(api)
            now = await lease_of(api, renter, lease)
            assert [c["month"] for c in now["rent_charges"]] == [1, 2]
            assert now["last_rent_failure"] is None

    async def test_a_revoked_grant_stops_the_rent(self, api: Api, clock: RentalClock) -> None:
        owner, renter, lease = await let_home(api, months=12)
        revoked = await api.client.delete("/api/v1/me/grants/rental", headers=renter.headers)
        assert revoked.status_code == 204
        await run_rent_job(api)
        now = await lease_of(api, owner, lease)
        assert now["rent_charges"] == []
        assert now["last_rent_failure"] == "scope_required"


def test_the_job_runs_hourly_through_the_platform(client: object) -> None:
    from app.jobs import PERIODIC

    job = PERIODIC["miniapps.rental.rent.charge_due_rent"]
    assert job.every == 3600

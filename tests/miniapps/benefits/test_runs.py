"""The payment run: everyone eligible paid exactly once a period, never over the budget."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from miniapps.sdk import local_today
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, Citizen, problem
from tests.miniapps.benefits.conftest import (
    BASE,
    add_to_list,
    app_ctx,
    citizens,
    create_programme,
    my_payments,
    pay,
    report,
)
from tests.miniapps.benefits.people import benefits_of, channel, ledger_problems, person
from tests.miniapps.clock import StoppedClock
from tests.notifications.helpers import settle


def years_ago(years: int, days: int = 0) -> date:
    today = local_today()
    if (today.month, today.day) == (2, 29):
        today -= timedelta(days=1)  # 29 February has no anniversary in most years
    return today.replace(year=today.year - years) - timedelta(days=days)


class TestPaymentRun:
    async def test_everyone_eligible_is_paid_exactly_once(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=12_345)
        listed = await citizens(api, 3)
        outsider = await api.citizen()
        await add_to_list(api, admin, made["id"], listed)
        with channel() as recorded:
            assert await pay(api, made["id"]) == {"paid": 3}
            assert await pay(api, made["id"]) == {}  # the period is swept: nothing to do
        assert sorted(amount for _, amount, _ in recorded.disbursed) == [12_345] * 3
        await settle(api)  # the inbox notices are delivered by the dispatcher's jobs
        for citizen in listed:
            assert [b["amount"] for b in await benefits_of(api, citizen)] == [12_345]
            mine = await my_payments(api, citizen)
            assert [(p["status"], p["amount"], p["disbursed"]) for p in mine] == [
                ("paid", 12_345, 12_345)
            ]
            entries = await api.client.get("/api/v1/wallet/entries", headers=citizen.headers)
            kinds = sorted(e["kind"] for e in entries.json()["items"])
            assert kinds == ["benefit", "payout"]
            inbox = await api.client.get("/api/v1/notifications", headers=citizen.headers)
            assert any(n["title"] == "民生直达到账" for n in inbox.json()["items"])
        assert await benefits_of(api, outsider) == []
        assert await my_payments(api, outsider) == []
        body = await report(api, admin, made["id"])
        assert (body["eligible"], body["paid"], body["failed"]) == (3, 3, 0)
        assert body["paid_amount"] == body["ledger_amount"] == body["spent"] == 3 * 12_345
        assert body["ledger_payments"] == 3
        assert await ledger_problems(api) == []

    async def test_age_and_region_rules_judge_the_verified_id(
        self, api: Api, admin: Citizen
    ) -> None:
        rules = [
            {"kind": "list"},
            {"kind": "age", "min_age": 60},
            {"kind": "region", "regions": ["330100"]},
        ]
        made = await create_programme(api, admin, rules=rules)
        sixty_today = await person(api, years_ago(60))
        sixty_tomorrow = await person(api, years_ago(60, days=-1))
        elsewhere = await person(api, years_ago(70), region="110101")
        province = await person(api, years_ago(80), region="330000")
        await add_to_list(
            api, admin, made["id"], [sixty_today, sixty_tomorrow, elsewhere, province]
        )
        with channel():
            assert await pay(api, made["id"]) == {"paid": 1}
        assert len(await benefits_of(api, sixty_today)) == 1
        for other in (sixty_tomorrow, elsewhere, province):
            assert await benefits_of(api, other) == []

    async def test_never_over_the_budget(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=10_000, budget=25_000)
        listed = await citizens(api, 3)
        await add_to_list(api, admin, made["id"], listed)
        with channel():
            assert await pay(api, made["id"]) == {"paid": 2, "budget_exhausted": 1}
        body = await report(api, admin, made["id"])
        assert body["spent"] == 20_000 and body["remaining_budget"] == 5_000
        assert body["failures"] == [{"reason": "budget_exhausted", "count": 1}]
        assert body["ledger_amount"] == 20_000
        failed = await api.client.get(
            f"{BASE}/programmes/{made['id']}/payments?status=failed", headers=admin.headers
        )
        assert [p["reason"] for p in failed.json()["items"]] == ["budget_exhausted"]

    async def test_concurrent_runs_never_overspend(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=1_000, budget=5_000)
        listed = await citizens(api, 8)
        await add_to_list(api, admin, made["id"], listed)
        from miniapps.benefits.payments import pay_programme

        async def four_at_once() -> list[dict[str, int]]:
            ctx = app_ctx()
            return list(await asyncio.gather(*(pay_programme(ctx, made["id"]) for _ in range(4))))

        with channel() as recorded:
            outcomes = await in_app(api.client, four_at_once)
        assert sum(o.get("paid", 0) for o in outcomes) == 5
        assert sum(o.get("budget_exhausted", 0) for o in outcomes) == 3
        assert len(recorded.disbursed) == 5
        body = await report(api, admin, made["id"])
        assert (body["paid"], body["spent"], body["ledger_amount"]) == (5, 5_000, 5_000)
        assert body["eligible"] == 8
        for citizen in listed:
            assert len(await benefits_of(api, citizen)) <= 1
        assert await ledger_problems(api) == []

    async def test_concurrent_runs_give_back_what_a_group_did_not_use(
        self, api: Api, admin: Citizen
    ) -> None:
        made = await create_programme(api, admin, amount=1_000, budget=1_000_000)
        listed = await citizens(api, 8)
        await add_to_list(api, admin, made["id"], listed)
        from miniapps.benefits.payments import pay_programme

        async def four_at_once() -> list[dict[str, int]]:
            ctx = app_ctx()
            return list(await asyncio.gather(*(pay_programme(ctx, made["id"]) for _ in range(4))))

        with channel() as recorded:
            outcomes = await in_app(api.client, four_at_once)
        assert sum(o.get("paid", 0) for o in outcomes) == 8
        assert len(recorded.disbursed) == 8
        body = await report(api, admin, made["id"])
        assert (body["paid"], body["spent"], body["ledger_amount"]) == (8, 8_000, 8_000)
        assert await ledger_problems(api) == []

    async def test_a_refused_payment_books_nothing_and_is_tried_again(
        self, api: Api, admin: Citizen
    ) -> None:
        made = await create_programme(api, admin)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        with channel(refuse=True):
            assert await pay(api, made["id"]) == {"payment_failed": 1}
        assert await benefits_of(api, citizen) == []
        body = await report(api, admin, made["id"])
        assert body["spent"] == 0 and body["failures"] == [{"reason": "payment_failed", "count": 1}]
        assert (await my_payments(api, citizen))[0]["reason"] == "payment_failed"
        with channel():
            assert await pay(api, made["id"]) == {"paid": 1}
        [payment] = await my_payments(api, citizen)
        assert (payment["status"], payment["attempts"]) == ("paid", 2)
        assert (await report(api, admin, made["id"]))["spent"] == 10_000

    async def test_a_run_that_dies_resumes_and_pays_nobody_twice(
        self, api: Api, admin: Citizen
    ) -> None:
        made = await create_programme(api, admin, amount=500)
        listed = await citizens(api, 5)
        await add_to_list(api, admin, made["id"], listed)
        with channel(crash_after=2) as bank:
            with pytest.raises(RuntimeError):
                await pay(api, made["id"])
            # The bank paid two, but their transaction died with the process: nothing booked.
            assert len(bank.disbursed) == 2
            assert (await report(api, admin, made["id"]))["paid"] == 0
            assert await pay(api, made["id"]) == {"paid": 5}
        # Tried again under the same references, the two were not paid a second time.
        assert len(bank.disbursed) == 5
        assert len({reference for _, _, reference in bank.disbursed}) == 5
        body = await report(api, admin, made["id"])
        assert (body["paid"], body["ledger_payments"], body["ledger_amount"]) == (5, 5, 2_500)
        for citizen in listed:
            [benefit] = await benefits_of(api, citizen)
            assert (citizen.id, 500, benefit["id"]) in bank.disbursed

    async def test_one_refusal_in_a_group_fails_alone(self, api: Api, admin: Citizen) -> None:
        from wallet.errors import PaymentFailed

        made = await create_programme(api, admin, amount=600)
        listed = await citizens(api, 4)
        await add_to_list(api, admin, made["id"], listed)
        unlucky = listed[2].id
        with channel() as bank:
            real = bank.disburse

            async def refuse_one(*, citizen_id: str, amount: int, reference: str) -> str:
                if citizen_id == unlucky:
                    raise PaymentFailed("The bank refused the payment; nothing was paid.")
                return await real(citizen_id=citizen_id, amount=amount, reference=reference)

            bank.disburse = refuse_one  # type: ignore[method-assign]
            assert await pay(api, made["id"]) == {"paid": 3, "payment_failed": 1}
        assert len(bank.disbursed) == 3 and unlucky not in [c for c, _, _ in bank.disbursed]
        body = await report(api, admin, made["id"])
        assert (body["paid"], body["failed"], body["spent"]) == (3, 1, 1_800)
        assert await ledger_problems(api) == []

    async def test_the_wallet_books_a_key_once(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=700)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        with channel() as recorded:
            await pay(api, made["id"])
            [payment] = await my_payments(api, citizen)
            key = f"{made['id']}:{payment['period']}:"
            openid = (
                await db_fetch(
                    api.client, "SELECT openid FROM benefits_payment WHERE id = {}", payment["id"]
                )
            )[0]["openid"]

            async def again() -> object:
                return await app_ctx().payouts.pay(
                    openid, 700, programme=made["id"], key=key + openid, memo="x"
                )

            replay = await in_app(api.client, again)
        assert replay.replayed is True and replay.payout_id == payment["payout_id"]
        assert len(recorded.disbursed) == 1
        assert len(await benefits_of(api, citizen)) == 1

    async def test_a_benefit_repays_an_overdue_balance_first_when_chosen(
        self, api: Api, admin: Citizen
    ) -> None:
        from tests.miniapps.parking.drivers import wallet_time
        from wallet.service import charge

        made = await create_programme(api, admin, amount=10_000)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        await in_app(api.client, charge, citizen.id, "park", 3_000, "门票")
        chosen = await api.client.put(
            f"{BASE}/me/preferences", json={"repay_overdue_first": True}, headers=citizen.headers
        )
        assert chosen.status_code == 200 and chosen.json() == {"repay_overdue_first": True}
        with wallet_time(timedelta(days=12)), channel() as recorded:
            suspended = await api.client.get("/api/v1/wallet", headers=citizen.headers)
            assert suspended.json()["status"] == "suspended"
            await pay(api, made["id"])
            after = await api.client.get("/api/v1/wallet", headers=citizen.headers)
        assert after.json()["status"] == "active" and after.json()["outstanding"] == 0
        [payment] = await my_payments(api, citizen)
        assert (payment["repaid"], payment["disbursed"]) == (3_000, 7_000)
        assert [amount for _, amount, _ in recorded.disbursed] == [7_000]
        assert await ledger_problems(api) == []

    async def test_an_overdue_balance_is_left_alone_unless_chosen(
        self, api: Api, admin: Citizen
    ) -> None:
        from tests.miniapps.parking.drivers import wallet_time
        from wallet.service import charge

        made = await create_programme(api, admin, amount=10_000)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        await in_app(api.client, charge, citizen.id, "park", 3_000, "门票")
        with wallet_time(timedelta(days=12)), channel():
            await pay(api, made["id"])
            wallet = await api.client.get("/api/v1/wallet", headers=citizen.headers)
        assert wallet.json()["outstanding"] == 3_000
        [payment] = await my_payments(api, citizen)
        assert (payment["repaid"], payment["disbursed"]) == (0, 10_000)

    async def test_monthly_pays_each_month_once(
        self, api: Api, admin: Citizen, benefits_time: StoppedClock
    ) -> None:
        day = local_today()
        if day.day > 28:
            day = day.replace(day=28)
            benefits_time.now = benefits_time.now.replace(day=28)
        made = await create_programme(
            api, admin, frequency="monthly", payment_day=day.isoformat(), amount=800
        )
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        with channel():
            assert await pay(api, made["id"]) == {"paid": 1}
            benefits_time.advance(days=31)
            assert await pay(api, made["id"]) == {"paid": 1}
            assert await pay(api, made["id"]) == {}
        periods = sorted(p["period"] for p in await my_payments(api, citizen))
        assert len(periods) == 2 and periods[0] == day.strftime("%Y-%m")
        assert len((await report(api, admin, made["id"]))["periods"]) == 2

    async def test_nothing_is_paid_before_the_payment_day(self, api: Api, admin: Citizen) -> None:
        tomorrow = (local_today() + timedelta(days=1)).isoformat()
        made = await create_programme(api, admin, payment_day=tomorrow)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        with channel():
            assert await pay(api, made["id"]) == {}
        assert await benefits_of(api, citizen) == []

    async def test_someone_listed_after_the_sweep_is_paid_on_the_next_run(
        self, api: Api, admin: Citizen
    ) -> None:
        made = await create_programme(api, admin)
        first, late = await citizens(api, 2)
        await add_to_list(api, admin, made["id"], [first])
        with channel():
            assert await pay(api, made["id"]) == {"paid": 1}
            await add_to_list(api, admin, made["id"], [late])
            assert await pay(api, made["id"]) == {"paid": 1}
        assert len(await benefits_of(api, first)) == len(await benefits_of(api, late)) == 1

    async def test_the_scheduler_pays_every_programme(self) -> None:
        from app.jobs import PERIODIC

        assert any(job.name.endswith("pay_due_programmes") for job in PERIODIC.values())
        [job] = [j for j in PERIODIC.values() if j.name.endswith("pay_due_programmes")]
        assert job.every == 600


class TestRunsEndpoint:
    async def test_staff_start_a_run(self, api: Api, admin: Citizen) -> None:
        from tests.notifications.helpers import settle

        made = await create_programme(api, admin)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        with channel():
            response = await api.client.post(
                f"{BASE}/programmes/{made['id']}/runs", headers=admin.headers
            )
            assert response.status_code == 202, response.text
            assert response.json() == {
                "programme_id": made["id"],
                "due_periods": [local_today().isoformat()],
                "queued": True,
            }
            await settle(api)
        assert (await report(api, admin, made["id"]))["paid"] == 1

    async def test_a_run_sweeps_again_for_someone_new(self, api: Api, admin: Citizen) -> None:
        from tests.notifications.helpers import settle

        made = await create_programme(api, admin, rules=[{"kind": "region", "regions": ["150000"]}])
        early = await person(api, years_ago(40), region="150102")
        with channel():
            await pay(api, made["id"])
            late = await person(api, years_ago(30), region="150102")  # verified after the sweep
            await pay(api, made["id"])
            assert await benefits_of(api, late) == []  # the scheduler does not sweep again
            response = await api.client.post(
                f"{BASE}/programmes/{made['id']}/runs", headers=admin.headers
            )
            assert response.status_code == 202
            await settle(api)
        assert len(await benefits_of(api, early)) == len(await benefits_of(api, late)) == 1

    async def test_nothing_due_yet(self, api: Api, admin: Citizen) -> None:
        tomorrow = (local_today() + timedelta(days=1)).isoformat()
        made = await create_programme(api, admin, payment_day=tomorrow)
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/runs", headers=admin.headers
        )
        assert response.status_code == 202
        assert response.json()["queued"] is False and response.json()["due_periods"] == []

    async def test_a_closed_or_unknown_programme(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        closed = await api.client.post(
            f"{BASE}/programmes/{made['id']}/close", headers=admin.headers
        )
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/runs", headers=admin.headers
        )
        problem(response, 409, "programme_closed")
        unknown = await api.client.post(f"{BASE}/programmes/nope/runs", headers=admin.headers)
        problem(unknown, 404, "programme_not_found")

    async def test_citizens_may_not(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        citizen = await api.citizen()
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/runs", headers=citizen.headers
        )
        problem(response, 403, "forbidden")

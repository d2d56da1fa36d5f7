"""What staff and citizens read: the report, the payments, the close, the preferences."""

from __future__ import annotations

from tests.helpers import Api, Citizen, problem
from tests.miniapps.benefits.conftest import (
    BASE,
    add_to_list,
    citizens,
    create_programme,
    my_payments,
    pay,
    report,
)
from tests.miniapps.benefits.people import channel


class TestReport:
    async def test_eligible_paid_failed_and_why(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=4_000, budget=10_000)
        listed = await citizens(api, 3)
        await add_to_list(api, admin, made["id"], listed)
        with channel():
            await pay(api, made["id"])
        body = await report(api, admin, made["id"])
        assert body == {
            **body,
            "budget": 10_000,
            "spent": 8_000,
            "remaining_budget": 2_000,
            "eligible": 3,
            "paid": 2,
            "paid_amount": 8_000,
            "failed": 1,
            "failures": [{"reason": "budget_exhausted", "count": 1}],
            "ledger_payments": 2,
            "ledger_amount": 8_000,
        }
        [period] = body["periods"]
        assert period["eligible"] == 3 and period["completed_at"] is not None

    async def test_a_programme_not_yet_run(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        body = await report(api, admin, made["id"])
        assert (body["eligible"], body["paid"], body["periods"]) == (0, 0, [])

    async def test_unknown_and_refused(self, api: Api, admin: Citizen) -> None:
        problem(
            await api.client.get(f"{BASE}/programmes/nope/report", headers=admin.headers),
            404,
            "programme_not_found",
        )
        made = await create_programme(api, admin)
        citizen = await api.citizen()
        response = await api.client.get(
            f"{BASE}/programmes/{made['id']}/report", headers=citizen.headers
        )
        problem(response, 403, "forbidden")


class TestStaffPayments:
    async def test_every_payment_is_listed(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, amount=1_000, budget=2_000)
        listed = await citizens(api, 3)
        await add_to_list(api, admin, made["id"], listed)
        with channel():
            await pay(api, made["id"])
        url = f"{BASE}/programmes/{made['id']}/payments"
        everything = await api.client.get(url, headers=admin.headers)
        assert everything.status_code == 200
        assert sorted(p["status"] for p in everything.json()["items"]) == ["failed", "paid", "paid"]
        paid = await api.client.get(url, params={"status": "paid"}, headers=admin.headers)
        assert all(p["payout_id"] for p in paid.json()["items"])
        first = await api.client.get(url, params={"limit": 2}, headers=admin.headers)
        cursor = first.json()["next_cursor"]
        rest = await api.client.get(url, params={"cursor": cursor}, headers=admin.headers)
        ids = [p["id"] for p in first.json()["items"] + rest.json()["items"]]
        assert len(set(ids)) == 3

    async def test_bad_filter_unknown_and_refused(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        url = f"{BASE}/programmes/{made['id']}/payments"
        problem(
            await api.client.get(url, params={"status": "lost"}, headers=admin.headers),
            422,
            "validation_error",
        )
        problem(
            await api.client.get(url, params={"cursor": "???"}, headers=admin.headers),
            422,
            "validation_error",
        )
        problem(
            await api.client.get(f"{BASE}/programmes/nope/payments", headers=admin.headers),
            404,
            "programme_not_found",
        )
        citizen = await api.citizen()
        problem(await api.client.get(url, headers=citizen.headers), 403, "forbidden")


class TestClose:
    async def test_a_closed_programme_pays_nobody(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        [citizen] = await citizens(api, 1)
        await add_to_list(api, admin, made["id"], [citizen])
        closed = await api.client.post(
            f"{BASE}/programmes/{made['id']}/close", headers=admin.headers
        )
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        with channel() as recorded:
            assert await pay(api, made["id"]) == {}
        assert recorded.disbursed == []
        again = await api.client.post(
            f"{BASE}/programmes/{made['id']}/close", headers=admin.headers
        )
        problem(again, 409, "programme_closed")

    async def test_unknown_and_refused(self, api: Api, admin: Citizen) -> None:
        problem(
            await api.client.post(f"{BASE}/programmes/nope/close", headers=admin.headers),
            404,
            "programme_not_found",
        )
        made = await create_programme(api, admin)
        citizen = await api.citizen()
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/close", headers=citizen.headers
        )
        problem(response, 403, "forbidden")
        still = await api.client.get(f"{BASE}/programmes/{made['id']}", headers=admin.headers)
        assert still.json()["status"] == "active"


class TestMyPayments:
    async def test_a_citizen_sees_only_their_own(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, name="助残补贴")
        mine, theirs = await citizens(api, 2)
        await add_to_list(api, admin, made["id"], [mine, theirs])
        with channel():
            await pay(api, made["id"])
        [payment] = await my_payments(api, mine)
        assert payment["programme_name"] == "助残补贴" and payment["status"] == "paid"
        [other] = await my_payments(api, theirs)
        assert other["id"] != payment["id"]

    async def test_pages_and_bad_input(self, api: Api, admin: Citizen) -> None:
        citizen = await api.citizen()
        response = await api.client.get(
            f"{BASE}/me/payments", params={"limit": 201}, headers=citizen.headers
        )
        problem(response, 422, "validation_error")
        assert await my_payments(api, citizen) == []

    async def test_needs_a_citizen(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/me/payments"), 401, "unauthorized")
        gate = await api.gate("metro")
        problem(await api.client.get(f"{BASE}/me/payments", headers=gate.headers), 403, "forbidden")


class TestPreferences:
    async def test_choose_and_read(self, api: Api) -> None:
        citizen = await api.citizen()
        url = f"{BASE}/me/preferences"
        assert (await api.client.get(url, headers=citizen.headers)).json() == {
            "repay_overdue_first": False
        }
        for choice in (True, False, True):
            saved = await api.client.put(
                url, json={"repay_overdue_first": choice}, headers=citizen.headers
            )
            assert saved.status_code == 200 and saved.json()["repay_overdue_first"] is choice
        assert (await api.client.get(url, headers=citizen.headers)).json() == {
            "repay_overdue_first": True
        }

    async def test_bad_input_changes_nothing(self, api: Api) -> None:
        citizen = await api.citizen()
        url = f"{BASE}/me/preferences"
        for body in ({"repay_overdue_first": "yes"}, {}, {"repay_overdue_first": True, "x": 1}):
            problem(
                await api.client.put(url, json=body, headers=citizen.headers),
                422,
                "validation_error",
            )
        assert (await api.client.get(url, headers=citizen.headers)).json() == {
            "repay_overdue_first": False
        }

    async def test_needs_a_citizen(self, api: Api) -> None:
        url = f"{BASE}/me/preferences"
        problem(await api.client.put(url, json={"repay_overdue_first": True}), 401, "unauthorized")
        problem(await api.client.get(url), 401, "unauthorized")

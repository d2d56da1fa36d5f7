"""The wallet's own HTTP endpoints: GET /api/v1/wallet, entries, statements, repayments and
the admin credit limit; happy paths, bad input and refused callers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import Api, problem
from tests.wallet.conftest import WalletFactory
from wallet.bureau import limit_for_score

pytestmark = pytest.mark.usefixtures("consistent_ledger")

WALLET = "/api/v1/wallet"


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


class TestGetWallet:
    async def test_a_new_wallet(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.get(WALLET, headers=citizen.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["currency"] == "CNY"
        assert 100_000 <= body["credit_limit"] <= 500_000
        assert body["available"] == body["credit_limit"]
        assert (body["held"], body["outstanding"], body["status"], body["next_due"]) == (
            0,
            0,
            "active",
            None,
        )

    async def test_the_first_limit_is_stable(self, api: Api) -> None:
        citizen = await api.citizen()
        first = (await api.client.get(WALLET, headers=citizen.headers)).json()
        again = (await api.client.get(WALLET, headers=citizen.headers)).json()
        assert first == again
        assert first["credit_limit"] % 100 == 0  # whole yuan
        assert first["credit_limit"] in {limit_for_score(s) for s in range(350, 951)}

    async def test_with_money_moving(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.create_hold(citizen.id, merchant, 2_000, "", 600)
        await svc.charge(citizen.id, merchant, 1_500, "")
        body = (await api.client.get(WALLET, headers=citizen.headers)).json()
        assert (body["held"], body["outstanding"], body["available"]) == (2_000, 1_500, 6_500)
        assert body["next_due"]["amount"] == 1_500
        assert body["next_due"]["due_at"].endswith("Z")

    async def test_refused_callers(self, api: Api) -> None:
        unverified = await api.citizen(verified=False)
        problem(await api.client.get(WALLET, headers=unverified.headers), 403, "real_name_required")
        problem(await api.client.get(WALLET), 401, "unauthorized")
        gate = await api.gate()
        problem(await api.client.get(WALLET, headers=gate.headers), 401, "unauthorized")


class TestEntries:
    async def test_newest_first_in_pages(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        hold = await svc.create_hold(citizen.id, merchant, 2_000, "住宿", 600)
        await svc.capture_hold(merchant, hold.hold_id, 1_200)
        response = await api.client.get(f"{WALLET}/entries?limit=2", headers=citizen.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert [(e["kind"], e["amount"]) for e in page["items"]] == [
            ("release", 800),
            ("capture", 1_200),
        ]
        first = page["items"][0]
        assert set(first) == {"id", "kind", "amount", "memo", "miniapp", "created_at"}
        assert (first["memo"], first["miniapp"]) == ("住宿", merchant)
        rest = await api.client.get(
            f"{WALLET}/entries",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=citizen.headers,
        )
        assert rest.json() == {
            "items": [{**rest.json()["items"][0], "kind": "hold", "amount": 2_000}],
            "next_cursor": None,
        }

    async def test_an_empty_wallet(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.get(f"{WALLET}/entries", headers=citizen.headers)
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_bad_input(self, api: Api) -> None:
        citizen = await api.citizen()
        for query in ("limit=0", "limit=201", "limit=x", "cursor=%21%21"):
            response = await api.client.get(f"{WALLET}/entries?{query}", headers=citizen.headers)
            problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api) -> None:
        unverified = await api.citizen(verified=False)
        response = await api.client.get(f"{WALLET}/entries", headers=unverified.headers)
        problem(response, 403, "real_name_required")
        problem(await api.client.get(f"{WALLET}/entries"), 401, "unauthorized")


class TestStatements:
    async def test_lists_what_falls_due(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        charge = await svc.charge(citizen.id, merchant, 1_000, "门票")
        response = await api.client.get(f"{WALLET}/statements", headers=citizen.headers)
        assert response.status_code == 200, response.text
        [statement] = response.json()["items"]
        assert (statement["amount"], statement["remaining"], statement["status"]) == (
            1_000,
            1_000,
            "open",
        )
        assert statement["items"][0]["reference"] == charge.charge_id
        assert response.json()["next_cursor"] is None

    async def test_bad_input_and_refused_callers(self, api: Api) -> None:
        citizen = await api.citizen()
        for query in ("limit=0", "cursor=bm90LWEtbGlzdA"):
            response = await api.client.get(f"{WALLET}/statements?{query}", headers=citizen.headers)
            problem(response, 422, "validation_error")
        unverified = await api.citizen(verified=False)
        response = await api.client.get(f"{WALLET}/statements", headers=unverified.headers)
        problem(response, 403, "real_name_required")
        problem(await api.client.get(f"{WALLET}/statements"), 401, "unauthorized")


class TestRepayments:
    async def test_repay_and_replay(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 3_000, "")
        headers = keyed(citizen.headers)
        first = await api.client.post(
            f"{WALLET}/repayments", json={"amount": 1_000}, headers=headers
        )
        assert first.status_code == 200, first.text
        assert (first.json()["outstanding"], first.json()["available"]) == (2_000, 8_000)
        again = await api.client.post(
            f"{WALLET}/repayments", json={"amount": 1_000}, headers=headers
        )
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.content == first.content
        assert (await svc.wallet_view(citizen.id)).outstanding == 2_000
        reused = await api.client.post(
            f"{WALLET}/repayments", json={"amount": 500}, headers=headers
        )
        problem(reused, 422, "idempotency_key_reused")

    async def test_overpayment_is_refused_and_replayed(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 3_000, "")
        headers = keyed(citizen.headers)
        refused = await api.client.post(
            f"{WALLET}/repayments", json={"amount": 3_001}, headers=headers
        )
        body = problem(refused, 422, "overpayment")
        assert "30.00" in body["detail"]
        replay = await api.client.post(
            f"{WALLET}/repayments", json={"amount": 3_001}, headers=headers
        )
        problem(replay, 422, "overpayment")
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert (await svc.wallet_view(citizen.id)).outstanding == 3_000

    async def test_bad_input(self, api: Api, new_wallet: WalletFactory) -> None:
        citizen = await new_wallet(10_000)
        path = f"{WALLET}/repayments"
        response = await api.client.post(path, json={"amount": 100}, headers=citizen.headers)
        problem(response, 422, "idempotency_key_required")
        for bad in ({"amount": 0}, {"amount": -100}, {"amount": 1.5}, {}, {"amount": "100x"}):
            response = await api.client.post(path, json=bad, headers=keyed(citizen.headers))
            problem(response, 422, "validation_error")
        response = await api.client.post(
            path,
            content=b"{not json",
            headers={**keyed(citizen.headers), "content-type": "application/json"},
        )
        problem(response, 400, "malformed_request")

    async def test_refused_callers(self, api: Api) -> None:
        path = f"{WALLET}/repayments"
        unverified = await api.citizen(verified=False)
        response = await api.client.post(
            path, json={"amount": 100}, headers=keyed(unverified.headers)
        )
        problem(response, 403, "real_name_required")
        response = await api.client.post(path, json={"amount": 100}, headers=keyed({}))
        problem(response, 401, "unauthorized")
        gate = await api.gate()
        response = await api.client.post(path, json={"amount": 100}, headers=keyed(gate.headers))
        problem(response, 401, "unauthorized")


class TestAdminCreditLimit:
    async def test_set_and_audited(self, api: Api, svc: Any, merchant: str) -> None:
        citizen = await api.citizen()
        admin = await api.admin()
        response = await api.client.put(
            f"/api/v1/admin/wallets/{citizen.id}/credit-limit",
            json={"credit_limit": 12_345_00},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["credit_limit"], response.json()["available"]) == (
            1_234_500,
            1_234_500,
        )
        mine = (await api.client.get(WALLET, headers=citizen.headers)).json()
        assert mine["credit_limit"] == 1_234_500
        audit = await api.client.get("/api/v1/admin/audit?limit=200", headers=admin.headers)
        targets = [(a["action"], a["target"]) for a in audit.json()["items"]]
        assert ("wallet.credit_limit", f"citizen:{citizen.id}:1234500") in targets

    async def test_bad_input(self, api: Api) -> None:
        citizen = await api.citizen()
        admin = await api.admin()
        path = f"/api/v1/admin/wallets/{citizen.id}/credit-limit"
        for bad in ({"credit_limit": -1}, {"credit_limit": 1.5}, {}, {"limit": 100}):
            response = await api.client.put(path, json=bad, headers=admin.headers)
            problem(response, 422, "validation_error")
        response = await api.client.put(
            "/api/v1/admin/wallets/no-such-citizen/credit-limit",
            json={"credit_limit": 100},
            headers=admin.headers,
        )
        problem(response, 404, "not_found")
        unverified = await api.citizen(verified=False)
        response = await api.client.put(
            f"/api/v1/admin/wallets/{unverified.id}/credit-limit",
            json={"credit_limit": 100},
            headers=admin.headers,
        )
        problem(response, 403, "real_name_required")

    async def test_refused_callers(self, api: Api) -> None:
        citizen = await api.citizen()
        path = f"/api/v1/admin/wallets/{citizen.id}/credit-limit"
        body = {"credit_limit": 999_999_00}
        problem(await api.client.put(path, json=body, headers=citizen.headers), 403, "forbidden")
        health_admin = await api.with_role("health_admin")
        response = await api.client.put(path, json=body, headers=health_admin.headers)
        problem(response, 403, "forbidden")
        problem(await api.client.put(path, json=body), 401, "unauthorized")
        gate = await api.gate()
        problem(await api.client.put(path, json=body, headers=gate.headers), 401, "unauthorized")
        assert (await api.client.get(WALLET, headers=citizen.headers)).json()["credit_limit"] < (
            999_999_00
        )

"""POST /api/v1/developer/apps/{app_id}/sandbox/citizens and what sandbox tokens reach."""

from __future__ import annotations

from typing import Any

from tests.app.portal import db_fetch
from tests.helpers import Api, bearer, problem
from tests.miniapps.conftest import External, client_headers, exchange, keyed, register


async def _sandbox(api: Api, app: External, **body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    response = await api.client.post(
        f"/api/v1/developer/apps/{app.app_id}/sandbox/citizens",
        json=body,
        headers=app.developer.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    token = await exchange(api, app, created["code"])
    assert token["openid"] == created["openid"]
    return created, bearer(token["access_token"])


class TestSandboxCitizens:
    async def test_a_draft_app_tests_every_endpoint_with_made_up_data(self, api: Api) -> None:
        app = await register(api, live=False)
        created, headers = await _sandbox(
            api, app, name="测试员", colour="yellow", credit_limit=10_000
        )
        assert created["sandbox_citizen_id"].startswith("sbx-")
        profile = await api.client.get("/api/v1/apps/profile", headers=headers)
        assert profile.json() == {"openid": created["openid"], "name_masked": "测**"}
        assert (await api.client.get("/api/v1/apps/healthcode", headers=headers)).json() == {
            "colour": "yellow"
        }
        identity = (await api.client.get("/api/v1/apps/identity", headers=headers)).json()
        assert identity["real_name"] == "测试员" and len(identity["id_hash"]) == 64
        sent = await api.client.post(
            "/api/v1/apps/notifications", json={"template": "visit.reminder"}, headers=headers
        )
        assert sent.status_code == 202

    async def test_the_sandbox_wallet_keeps_its_own_books(self, api: Api) -> None:
        app = await register(api, live=False)
        _, headers = await _sandbox(api, app, credit_limit=10_000)
        holds = "/api/v1/apps/wallet/holds"
        hold = (
            await api.client.post(
                holds, json={"amount": 6000, "expires_in": 600}, headers=keyed(headers)
            )
        ).json()
        assert hold["hold_id"].startswith("sbx-") and hold["status"] == "held"
        problem(
            await api.client.post(
                holds, json={"amount": 5000, "expires_in": 600}, headers=keyed(headers)
            ),
            402,
            "credit_limit_exceeded",
        )
        own = await client_headers(api, app)
        captured = await api.client.post(
            f"{holds}/{hold['hold_id']}/capture", json={"amount": 4000}, headers=keyed(own)
        )
        assert captured.json() == {
            "hold_id": hold["hold_id"],
            "status": "captured",
            "captured": 4000,
            "released": 2000,
        }
        problem(
            await api.client.post(f"{holds}/{hold['hold_id']}/void", headers=own),
            409,
            "hold_not_open",
        )
        charge = await api.client.post(
            "/api/v1/apps/wallet/charges", json={"amount": 6000}, headers=keyed(headers)
        )
        assert charge.status_code == 201, charge.text
        refunds = "/api/v1/apps/wallet/refunds"
        over = await api.client.post(
            refunds, json={"hold_id": hold["hold_id"], "amount": 4001}, headers=keyed(own)
        )
        problem(over, 422, "refund_exceeds_charge")
        refund = await api.client.post(
            refunds,
            json={"charge_id": charge.json()["charge_id"], "amount": 6000},
            headers=keyed(own),
        )
        assert refund.status_code == 201, refund.text
        real = await db_fetch(
            api.client, "SELECT COUNT(*) AS n FROM wallet_hold WHERE miniapp = {}", app.slug
        )
        assert real[0]["n"] == 0
        events = await db_fetch(
            api.client,
            "SELECT kind FROM outbox_event WHERE miniapp = {} ORDER BY created_at",
            app.slug,
        )
        assert [e["kind"] for e in events] == ["hold.captured", "refund.created"]

    async def test_a_void_and_another_apps_sandbox_hold(self, api: Api) -> None:
        app, other = await register(api, live=False), await register(api, live=False)
        _, headers = await _sandbox(api, app)
        hold = (
            await api.client.post(
                "/api/v1/apps/wallet/holds",
                json={"amount": 100, "expires_in": 600},
                headers=keyed(headers),
            )
        ).json()
        stranger = await client_headers(api, other)
        problem(
            await api.client.post(
                f"/api/v1/apps/wallet/holds/{hold['hold_id']}/void", headers=stranger
            ),
            404,
            "not_found",
        )
        voided = await api.client.post(
            f"/api/v1/apps/wallet/holds/{hold['hold_id']}/void", headers=headers
        )
        assert voided.json()["status"] == "voided"

    async def test_only_the_developer_and_valid_input(self, api: Api) -> None:
        app = await register(api, live=False)
        url = f"/api/v1/developer/apps/{app.app_id}/sandbox/citizens"
        stranger = await api.citizen()
        problem(await api.client.post(url, json={}, headers=stranger.headers), 404, "not_found")
        problem(
            await api.client.post(url, json={"colour": "blue"}, headers=app.developer.headers),
            422,
            "validation_error",
        )
        problem(await api.client.post(url, json={}), 401, "unauthorized")

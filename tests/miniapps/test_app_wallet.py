"""/api/v1/apps/wallet/*: holds, captures, voids, charges and refunds by an external app."""

from __future__ import annotations

from tests.helpers import Api, Citizen, problem
from tests.miniapps.conftest import External, client_headers, connect, keyed, register

HOLDS = "/api/v1/apps/wallet/holds"
CHARGES = "/api/v1/apps/wallet/charges"
REFUNDS = "/api/v1/apps/wallet/refunds"


async def _wallet(api: Api, citizen: Citizen) -> dict[str, int]:
    response = await api.client.get("/api/v1/wallet", headers=citizen.headers)
    assert response.status_code == 200, response.text
    body: dict[str, int] = response.json()
    return body


async def _hold(api: Api, headers: dict[str, str], amount: int = 5000) -> dict[str, object]:
    response = await api.client.post(
        HOLDS, json={"amount": amount, "memo": "押金", "expires_in": 3600}, headers=keyed(headers)
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def _connected(api: Api) -> tuple[External, Citizen, dict[str, str]]:
    app = await register(api)
    citizen = await api.citizen()
    return app, citizen, await connect(api, app, citizen, ["wallet.charge"])


class TestHolds:
    async def test_a_hold_reduces_available_credit(self, api: Api) -> None:
        _, citizen, headers = await _connected(api)
        before = await _wallet(api, citizen)
        hold = await _hold(api, headers, 5000)
        assert hold["status"] == "held" and hold["amount"] == 5000
        after = await _wallet(api, citizen)
        assert after["held"] == before["held"] + 5000

    async def test_a_retry_replays_the_first_answer(self, api: Api) -> None:
        _, citizen, headers = await _connected(api)
        body = {"amount": 1200, "memo": "x", "expires_in": 600}
        first = await api.client.post(HOLDS, json=body, headers=keyed(headers, "k-1"))
        again = await api.client.post(HOLDS, json=body, headers=keyed(headers, "k-1"))
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert (await _wallet(api, citizen))["held"] == 1200
        other = await api.client.post(
            HOLDS, json={**body, "amount": 1}, headers=keyed(headers, "k-1")
        )
        problem(other, 422, "idempotency_key_reused")

    async def test_bad_input(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        problem(
            await api.client.post(HOLDS, json={"amount": 100, "expires_in": 600}, headers=headers),
            422,
            "idempotency_key_required",
        )
        for body in (
            {"amount": 0, "expires_in": 600},
            {"amount": 100, "expires_in": 10},
            {"amount": 1.5},
        ):
            problem(
                await api.client.post(HOLDS, json=body, headers=keyed(headers)),
                422,
                "validation_error",
            )
        problem(
            await api.client.post(
                HOLDS, json={"amount": 10**9, "expires_in": 600}, headers=keyed(headers)
            ),
            402,
            "credit_limit_exceeded",
        )

    async def test_scope_and_caller_checks(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        profile_only = await connect(api, app, citizen, ["profile.basic"])
        body = {"amount": 100, "expires_in": 600}
        problem(
            await api.client.post(HOLDS, json=body, headers=keyed(profile_only)),
            403,
            "scope_required",
        )
        own = await client_headers(api, app)
        problem(await api.client.post(HOLDS, json=body, headers=keyed(own)), 403, "forbidden")
        problem(
            await api.client.post(HOLDS, json=body, headers=keyed(citizen.headers)),
            401,
            "unauthorized",
        )


class TestCapture:
    async def test_partial_capture_releases_the_rest(self, api: Api) -> None:
        _, citizen, headers = await _connected(api)
        hold = await _hold(api, headers, 5000)
        response = await api.client.post(
            f"{HOLDS}/{hold['hold_id']}/capture", json={"amount": 3000}, headers=keyed(headers)
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "hold_id": hold["hold_id"],
            "status": "captured",
            "captured": 3000,
            "released": 2000,
        }
        wallet = await _wallet(api, citizen)
        assert wallet["held"] == 0 and wallet["outstanding"] == 3000
        again = await api.client.post(
            f"{HOLDS}/{hold['hold_id']}/capture", json={"amount": 1}, headers=keyed(headers)
        )
        problem(again, 409, "hold_not_open")

    async def test_after_revocation_only_the_apps_own_token_captures(self, api: Api) -> None:
        app, citizen, headers = await _connected(api)
        hold = await _hold(api, headers, 4000)
        revoked = await api.client.delete(f"/api/v1/me/grants/{app.slug}", headers=citizen.headers)
        assert revoked.status_code == 204
        url = f"{HOLDS}/{hold['hold_id']}/capture"
        problem(
            await api.client.post(url, json={"amount": 4000}, headers=keyed(headers)),
            401,
            "unauthorized",
        )
        problem(
            await api.client.post(
                HOLDS, json={"amount": 1, "expires_in": 600}, headers=keyed(headers)
            ),
            401,
            "unauthorized",
        )
        own = await client_headers(api, app)
        response = await api.client.post(url, json={"amount": 4000}, headers=keyed(own))
        assert response.status_code == 200, response.text
        assert (await _wallet(api, citizen))["outstanding"] == 4000

    async def test_another_apps_hold_is_not_found(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        hold = await _hold(api, headers)
        other = await client_headers(api, await register(api))
        response = await api.client.post(
            f"{HOLDS}/{hold['hold_id']}/capture", json={"amount": 1}, headers=keyed(other)
        )
        problem(response, 404, "not_found")

    async def test_more_than_held_and_a_missing_key(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        hold = await _hold(api, headers, 1000)
        url = f"{HOLDS}/{hold['hold_id']}/capture"
        problem(
            await api.client.post(url, json={"amount": 1001}, headers=keyed(headers)),
            422,
            "validation_error",
        )
        problem(
            await api.client.post(url, json={"amount": 1}, headers=headers),
            422,
            "idempotency_key_required",
        )

    async def test_an_app_without_wallet_scope(self, api: Api) -> None:
        app = await register(api, scopes=["profile.basic"])
        own = await client_headers(api, app)
        response = await api.client.post(
            f"{HOLDS}/x/capture", json={"amount": 1}, headers=keyed(own)
        )
        problem(response, 403, "scope_required")


class TestVoid:
    async def test_void_releases_everything_once_and_takes_no_key(self, api: Api) -> None:
        _, citizen, headers = await _connected(api)
        hold = await _hold(api, headers, 2500)
        url = f"{HOLDS}/{hold['hold_id']}/void"
        response = await api.client.post(url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"hold_id": hold["hold_id"], "status": "voided"}
        assert (await _wallet(api, citizen))["held"] == 0
        problem(await api.client.post(url, headers=headers), 409, "hold_not_open")

    async def test_unknown_hold(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        problem(await api.client.post(f"{HOLDS}/nope/void", headers=headers), 404, "not_found")


class TestCharges:
    async def test_a_charge_is_owed_and_logged_for_the_citizen(self, api: Api) -> None:
        app, citizen, headers = await _connected(api)
        response = await api.client.post(
            CHARGES, json={"amount": 880, "memo": "门票"}, headers=keyed(headers)
        )
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == 880
        assert (await _wallet(api, citizen))["outstanding"] == 880
        log = await api.client.get("/api/v1/me/data-access", headers=citizen.headers)
        assert [(i["slug"], i["what"]) for i in log.json()["items"]] == [
            (app.slug, "wallet.charge")
        ]

    async def test_refusals(self, api: Api) -> None:
        app, _, headers = await _connected(api)
        problem(
            await api.client.post(CHARGES, json={"amount": 1}, headers=headers),
            422,
            "idempotency_key_required",
        )
        problem(
            await api.client.post(CHARGES, json={"amount": -1}, headers=keyed(headers)),
            422,
            "validation_error",
        )
        own = await client_headers(api, app)
        problem(
            await api.client.post(CHARGES, json={"amount": 1}, headers=keyed(own)), 403, "forbidden"
        )


class TestRefunds:
    async def test_refund_a_charge_up_to_what_was_charged(self, api: Api) -> None:
        app, citizen, headers = await _connected(api)
        charge = (
            await api.client.post(CHARGES, json={"amount": 1000}, headers=keyed(headers))
        ).json()
        own = await client_headers(api, app)
        response = await api.client.post(
            REFUNDS, json={"charge_id": charge["charge_id"], "amount": 600}, headers=keyed(own)
        )
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == 600
        assert (await _wallet(api, citizen))["outstanding"] == 400
        too_much = await api.client.post(
            REFUNDS, json={"charge_id": charge["charge_id"], "amount": 401}, headers=keyed(own)
        )
        problem(too_much, 422, "refund_exceeds_charge")

    async def test_refund_a_captured_hold(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        hold = await _hold(api, headers, 3000)
        await api.client.post(
            f"{HOLDS}/{hold['hold_id']}/capture", json={"amount": 3000}, headers=keyed(headers)
        )
        response = await api.client.post(
            REFUNDS, json={"hold_id": hold["hold_id"], "amount": 3000}, headers=keyed(headers)
        )
        assert response.status_code == 201, response.text

    async def test_exactly_one_of_charge_id_and_hold_id(self, api: Api) -> None:
        _, _, headers = await _connected(api)
        for body in ({"amount": 1}, {"amount": 1, "charge_id": "a", "hold_id": "b"}):
            problem(
                await api.client.post(REFUNDS, json=body, headers=keyed(headers)),
                422,
                "validation_error",
            )

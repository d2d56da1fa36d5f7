"""POST /api/v1/auth/refresh and POST /api/v1/auth/logout: rotation, reuse detection, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest

import identity.service
from tests.app.portal import concurrently, db_fetch
from tests.helpers import Api, bearer, problem
from tests.identity.tokens import claims_of

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


def past_the_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, every spent refresh token is older than the grace period."""
    monkeypatch.setattr(identity.service, "REFRESH_GRACE", timedelta(seconds=-1))


class TestRefresh:
    async def test_rotates_the_pair(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        assert response.status_code == 200
        pair = response.json()
        assert pair.keys() == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
        assert pair["refresh_token"] != citizen.refresh_token
        assert claims_of(pair["access_token"])["sub"] == citizen.id
        assert (await api.client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
        # The new refresh token rotates in turn.
        again = await api.client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
        assert again.status_code == 200
        assert again.json()["refresh_token"] not in {pair["refresh_token"], citizen.refresh_token}

    async def test_the_spent_token_within_the_grace_returns_the_same_pair(self, api: Api) -> None:
        citizen = await api.login()
        first = await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        second = await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        assert second.status_code == 200
        assert second.json() == first.json()

    async def test_reuse_after_the_grace_ends_the_whole_login(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen = await api.login()
        rotated = (
            await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        ).json()
        past_the_grace(monkeypatch)
        response = await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        problem(response, 401, "refresh_token_reused")
        # Every token of that login is dead: both access tokens and the newest refresh token.
        for access in (citizen.access_token, rotated["access_token"]):
            problem(await api.client.get(ME, headers=bearer(access)), 401, "unauthorized")
        response = await api.client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
        assert response.status_code == 401
        # The citizen's other logins live on.
        other = await api.login(citizen.phone)
        assert (await api.client.get(ME, headers=other.headers)).status_code == 200

    async def test_concurrent_refreshes_rotate_once_and_share_the_pair(self, api: Api) -> None:
        citizen = await api.login()
        request = {
            "method": "POST",
            "url": REFRESH,
            "json": {"refresh_token": citizen.refresh_token},
        }
        responses = await concurrently(api.client, [request] * 8)
        assert [r.status_code for r in responses] == [200] * 8
        pairs = {(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}
        assert len(pairs) == 1
        session = claims_of(citizen.access_token)["sid"]
        rows = await db_fetch(
            api.client, "SELECT count(*) AS n FROM refresh_token WHERE session = {}", session
        )
        assert rows[0]["n"] == 2  # the original and exactly one successor
        ((access, refresh),) = pairs
        assert (await api.client.get(ME, headers=bearer(access))).status_code == 200
        assert (await api.client.post(REFRESH, json={"refresh_token": refresh})).status_code == 200

    async def test_unknown_token(self, api: Api) -> None:
        response = await api.client.post(REFRESH, json={"refresh_token": "rt_unknown"})
        problem(response, 401, "unauthorized")

    async def test_an_access_token_is_not_a_refresh_token(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(
            REFRESH, json={"refresh_token": citizen.access_token[:200]}
        )
        problem(response, 401, "unauthorized")

    async def test_empty_token_is_a_validation_error(self, api: Api) -> None:
        body = problem(
            await api.client.post(REFRESH, json={"refresh_token": ""}), 422, "validation_error"
        )
        assert body["errors"][0]["field"] == "refresh_token"

    async def test_broken_json_is_malformed(self, api: Api) -> None:
        response = await api.client.post(
            REFRESH, content=b'{"refresh_token": ', headers={"Content-Type": "application/json"}
        )
        problem(response, 400, "malformed_request")

    async def test_after_logout(self, api: Api) -> None:
        citizen = await api.login()
        body = {"refresh_token": citizen.refresh_token}
        assert (
            await api.client.post(LOGOUT, json=body, headers=citizen.headers)
        ).status_code == 204
        problem(await api.client.post(REFRESH, json=body), 401, "unauthorized")

    async def test_expired_refresh_token(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        citizen = await api.login()
        later = identity.service.now() + identity.service.REFRESH_TTL + timedelta(seconds=1)
        monkeypatch.setattr(identity.service, "now", lambda: later)
        response = await api.client.post(REFRESH, json={"refresh_token": citizen.refresh_token})
        problem(response, 401, "unauthorized")  # expired, not "reused": the login lives on
        monkeypatch.undo()
        assert (await api.client.get(ME, headers=citizen.headers)).status_code == 200


class TestLogout:
    async def test_ends_the_login(self, api: Api) -> None:
        citizen = await api.login()
        other = await api.login(citizen.phone)
        response = await api.client.post(
            LOGOUT, json={"refresh_token": citizen.refresh_token}, headers=citizen.headers
        )
        assert response.status_code == 204
        assert response.content == b""
        problem(await api.client.get(ME, headers=citizen.headers), 401, "unauthorized")
        # Only that login: the citizen's other login is untouched.
        assert (await api.client.get(ME, headers=other.headers)).status_code == 200

    async def test_refresh_token_of_another_account_is_refused(self, api: Api) -> None:
        citizen, stranger = await api.login(), await api.login()
        response = await api.client.post(
            LOGOUT, json={"refresh_token": stranger.refresh_token}, headers=citizen.headers
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "refresh_token"
        for person in (citizen, stranger):  # nothing was ended
            assert (await api.client.get(ME, headers=person.headers)).status_code == 200

    async def test_without_a_token(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(LOGOUT, json={"refresh_token": citizen.refresh_token})
        problem(response, 401, "unauthorized")
        assert (await api.client.get(ME, headers=citizen.headers)).status_code == 200

    async def test_a_gate_token_is_refused(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(
            LOGOUT, json={"refresh_token": "rt_x"}, headers=gate.headers
        )
        problem(response, 401, "unauthorized")

    async def test_missing_body_field(self, api: Api) -> None:
        citizen = await api.login()
        body = problem(
            await api.client.post(LOGOUT, json={}, headers=citizen.headers), 422, "validation_error"
        )
        assert body["errors"][0]["field"] == "refresh_token"

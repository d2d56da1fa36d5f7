"""POST /api/v1/oauth/token: code exchange, client credentials, and their refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.security import hash_secret
from tests.app.portal import db_fetch
from tests.helpers import Api, bearer, problem
from tests.miniapps.conftest import exchange, grant, register

TOKEN = "/api/v1/oauth/token"


class TestAuthorizationCode:
    async def test_json_exchange_gives_a_30_day_token_for_the_granted_scopes(
        self, api: Api
    ) -> None:
        app = await register(api)
        citizen = await api.citizen()
        granted = await grant(api, app.slug, citizen, ["profile.basic"])
        body = await exchange(api, app, granted["code"])
        assert body["scopes"] == ["profile.basic"]
        assert body["expires_in"] == 30 * 24 * 3600
        assert len(body["openid"]) == 32 and citizen.id not in body["openid"]
        profile = await api.client.get("/api/v1/apps/profile", headers=bearer(body["access_token"]))
        assert profile.json() == {"openid": body["openid"], "name_masked": "张*"}

    async def test_form_body_is_accepted(self, api: Api) -> None:
        app = await register(api)
        granted = await grant(api, app.slug, await api.citizen(), ["profile.basic"])
        response = await api.client.post(
            TOKEN,
            data={
                "grant_type": "authorization_code",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "code": granted["code"],
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["scopes"] == ["profile.basic"]

    async def test_two_apps_get_unrelated_openids_and_one_app_always_the_same(
        self, api: Api
    ) -> None:
        first, second = await register(api), await register(api)
        citizen = await api.citizen()
        one = await exchange(
            api, first, (await grant(api, first.slug, citizen, ["profile.basic"]))["code"]
        )
        two = await exchange(
            api, second, (await grant(api, second.slug, citizen, ["profile.basic"]))["code"]
        )
        again = await exchange(
            api, first, (await grant(api, first.slug, citizen, ["profile.basic"]))["code"]
        )
        assert one["openid"] != two["openid"]
        assert one["openid"] == again["openid"]

    async def test_a_code_works_once(self, api: Api) -> None:
        app = await register(api)
        granted = await grant(api, app.slug, await api.citizen(), ["profile.basic"])
        await exchange(api, app, granted["code"])
        response = await api.client.post(TOKEN, json=_code_body(app, granted["code"]))
        problem(response, 400, "invalid_grant")

    async def test_another_apps_code_is_an_invalid_grant_and_stays_usable(self, api: Api) -> None:
        mine, theirs = await register(api), await register(api)
        granted = await grant(api, theirs.slug, await api.citizen(), ["profile.basic"])
        problem(
            await api.client.post(TOKEN, json=_code_body(mine, granted["code"])),
            400,
            "invalid_grant",
        )
        await exchange(api, theirs, granted["code"])

    async def test_an_expired_code_is_refused(self, api: Api) -> None:
        app = await register(api)
        granted = await grant(api, app.slug, await api.citizen(), ["profile.basic"])
        await db_fetch(
            api.client,
            "UPDATE miniapp_auth_code SET expires_at = {} WHERE code_hash = {}",
            datetime.now(UTC) - timedelta(seconds=1),
            hash_secret(granted["code"]),
        )
        problem(
            await api.client.post(TOKEN, json=_code_body(app, granted["code"])),
            400,
            "invalid_grant",
        )

    async def test_unknown_or_missing_code(self, api: Api) -> None:
        app = await register(api)
        problem(await api.client.post(TOKEN, json=_code_body(app, "ac_nope")), 400, "invalid_grant")
        body = _code_body(app, "x")
        del body["code"]
        problem(await api.client.post(TOKEN, json=body), 400, "invalid_grant")


class TestClientCredentials:
    async def test_the_app_gets_its_own_token(self, api: Api) -> None:
        app = await register(api)
        response = await api.client.post(
            TOKEN,
            json={
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) >= {"access_token", "expires_in"} and "openid" not in body


class TestRefusals:
    async def test_wrong_secret_or_unknown_client_is_401_invalid_client(self, api: Api) -> None:
        app = await register(api)
        for client_id, secret in ((app.client_id, "cs_wrong"), ("cli_unknown", app.client_secret)):
            response = await api.client.post(
                TOKEN,
                json={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
            problem(response, 401, "invalid_client")
        response = await api.client.post(TOKEN, json={"grant_type": "client_credentials"})
        problem(response, 401, "invalid_client")

    async def test_unsupported_grant_type(self, api: Api) -> None:
        app = await register(api)
        for grant_type in ("password", None):
            body = {"client_id": app.client_id, "client_secret": app.client_secret}
            if grant_type:
                body["grant_type"] = grant_type
            problem(await api.client.post(TOKEN, json=body), 400, "unsupported_grant_type")

    async def test_malformed_and_mistyped_bodies(self, api: Api) -> None:
        response = await api.client.post(
            TOKEN, content=b"{not json", headers={"content-type": "application/json"}
        )
        problem(response, 400, "malformed_request")
        problem(await api.client.post(TOKEN, json={"grant_type": 7}), 422, "validation_error")


def _code_body(app: object, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": app.client_id,  # type: ignore[attr-defined]
        "client_secret": app.client_secret,  # type: ignore[attr-defined]
        "code": code,
    }

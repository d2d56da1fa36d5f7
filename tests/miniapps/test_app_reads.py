"""GET /api/v1/apps/profile, /healthcode, /identity and POST /api/v1/apps/notifications."""

from __future__ import annotations

from tests.helpers import Api, bearer, problem
from tests.miniapps.conftest import client_headers, connect, declare, register


class TestProfile:
    async def test_openid_and_masked_name(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen(name="欧阳娜娜")
        headers = await connect(api, app, citizen, ["profile.basic"])
        response = await api.client.get("/api/v1/apps/profile", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["name_masked"] == "欧***"
        assert citizen.phone not in response.text and citizen.id not in response.text

    async def test_without_the_scope_is_403_scope_required(self, api: Api) -> None:
        app = await register(api)
        headers = await connect(api, app, await api.citizen(), ["healthcode.read"])
        problem(
            await api.client.get("/api/v1/apps/profile", headers=headers), 403, "scope_required"
        )

    async def test_callers_without_an_app_token_are_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        gate = await api.gate("hotel")
        for headers in ({}, citizen.headers, gate.headers, bearer("not-a-jwt")):
            problem(
                await api.client.get("/api/v1/apps/profile", headers=headers), 401, "unauthorized"
            )

    async def test_the_apps_own_token_has_no_citizen(self, api: Api) -> None:
        app = await register(api)
        headers = await client_headers(api, app)
        problem(await api.client.get("/api/v1/apps/profile", headers=headers), 403, "forbidden")

    async def test_an_app_declaring_no_such_scope_cannot_be_granted_it(self, api: Api) -> None:
        app = await register(api, scopes=["healthcode.read"])
        response = await api.client.post(
            f"/api/v1/miniapps/{app.slug}/grants",
            json={"scopes": ["profile.basic"]},
            headers=(await api.citizen()).headers,
        )
        problem(response, 422, "validation_error")


class TestHealthcode:
    async def test_colour_only(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        await declare(api, citizen)
        headers = await connect(api, app, citizen, ["healthcode.read"])
        response = await api.client.get("/api/v1/apps/healthcode", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"colour": "green"}

    async def test_never_declared_is_null(self, api: Api) -> None:
        app = await register(api)
        headers = await connect(api, app, await api.citizen(), ["healthcode.read"])
        assert (await api.client.get("/api/v1/apps/healthcode", headers=headers)).json() == {
            "colour": None
        }

    async def test_scope_required(self, api: Api) -> None:
        app = await register(api)
        headers = await connect(api, app, await api.citizen(), ["profile.basic"])
        problem(
            await api.client.get("/api/v1/apps/healthcode", headers=headers), 403, "scope_required"
        )


class TestIdentity:
    async def test_real_name_and_a_per_app_hash_never_the_number(self, api: Api) -> None:
        first, second = await register(api), await register(api)
        citizen = await api.citizen(name="王小明")
        one = await api.client.get(
            "/api/v1/apps/identity",
            headers=await connect(api, first, citizen, ["identity.realname"]),
        )
        two = await api.client.get(
            "/api/v1/apps/identity",
            headers=await connect(api, second, citizen, ["identity.realname"]),
        )
        assert one.status_code == 200, one.text
        assert one.json()["real_name"] == "王小明"
        assert one.json()["id_hash"] != two.json()["id_hash"]
        assert one.json()["openid"] != two.json()["openid"]
        assert citizen.id_number and citizen.id_number not in one.text

    async def test_unverified_citizens_cannot_grant_it(self, api: Api) -> None:
        app = await register(api)
        unverified = await api.citizen(verified=False)
        response = await api.client.post(
            f"/api/v1/miniapps/{app.slug}/grants",
            json={"scopes": ["identity.realname"]},
            headers=unverified.headers,
        )
        problem(response, 403, "real_name_required")

    async def test_scope_required(self, api: Api) -> None:
        app = await register(api)
        headers = await connect(api, app, await api.citizen(), ["profile.basic"])
        problem(
            await api.client.get("/api/v1/apps/identity", headers=headers), 403, "scope_required"
        )


class TestNotifications:
    async def test_a_subscribed_template_is_queued(self, api: Api) -> None:
        app = await register(api, templates=["visit.reminder"])
        citizen = await api.citizen()
        headers = await connect(api, app, citizen, ["notify.send"])
        subscribed = await api.client.post(
            f"/api/v1/miniapps/{app.slug}/subscriptions",
            json={"templates": ["visit.reminder"]},
            headers=citizen.headers,
        )
        assert subscribed.status_code == 201, subscribed.text
        response = await api.client.post(
            "/api/v1/apps/notifications",
            json={"template": "visit.reminder", "data": {"time": "09:30"}},
            headers=headers,
        )
        assert response.status_code == 202, response.text
        assert response.json()["id"]

    async def test_not_subscribed_is_403(self, api: Api) -> None:
        app = await register(api, templates=["visit.reminder"])
        headers = await connect(api, app, await api.citizen(), ["notify.send"])
        response = await api.client.post(
            "/api/v1/apps/notifications", json={"template": "visit.reminder"}, headers=headers
        )
        problem(response, 403, "not_subscribed")

    async def test_undeclared_template_or_oversized_data_is_422(self, api: Api) -> None:
        app = await register(api, templates=["visit.reminder"])
        headers = await connect(api, app, await api.citizen(), ["notify.send"])
        for body, code in (
            ({"template": "other.thing"}, "unknown_template"),
            ({"template": "visit.reminder", "data": {"x": "y" * 5000}}, "validation_error"),
            ({"template": "Bad Name"}, "validation_error"),
        ):
            response = await api.client.post(
                "/api/v1/apps/notifications", json=body, headers=headers
            )
            problem(response, 422, code)

    async def test_scope_required(self, api: Api) -> None:
        app = await register(api)
        headers = await connect(api, app, await api.citizen(), ["profile.basic"])
        response = await api.client.post(
            "/api/v1/apps/notifications", json={"template": "visit.reminder"}, headers=headers
        )
        problem(response, 403, "scope_required")

"""Grants (POST /api/v1/miniapps/{slug}/grants, GET and DELETE /api/v1/me/grants) and the
citizen's data-access log (GET /api/v1/me/data-access)."""

from __future__ import annotations

from tests.app.portal import db_fetch
from tests.helpers import Api, problem
from tests.miniapps.conftest import connect, declare, grant, register


class TestGrant:
    async def test_an_external_app_gets_a_code_and_an_in_process_one_none(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        external = await grant(api, app.slug, citizen, ["profile.basic"])
        assert external["slug"] == app.slug and external["scopes"] == ["profile.basic"]
        assert external["code"].startswith("ac_")
        builtin = await grant(api, "hello", citizen, ["profile.basic"])
        assert builtin["code"] is None

    async def test_granting_more_adds_scopes_and_keeps_tokens_alive(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        headers = await connect(api, app, citizen, ["profile.basic"])
        more = await grant(api, app.slug, citizen, ["healthcode.read"])
        assert more["scopes"] == ["healthcode.read", "profile.basic"]
        assert (await api.client.get("/api/v1/apps/healthcode", headers=headers)).status_code == 200

    async def test_bad_scopes_are_422_and_nothing_is_granted(self, api: Api) -> None:
        app = await register(api, scopes=["profile.basic"])
        citizen = await api.citizen()
        for scopes in ([], ["wallet.charge"], ["admin.everything"], "profile.basic"):
            response = await api.client.post(
                f"/api/v1/miniapps/{app.slug}/grants",
                json={"scopes": scopes},
                headers=citizen.headers,
            )
            problem(response, 422, "validation_error")
        mine = await api.client.get("/api/v1/me/grants", headers=citizen.headers)
        assert mine.json()["items"] == []

    async def test_unknown_and_unreviewed_apps_are_404(self, api: Api) -> None:
        draft = await register(api, live=False)
        citizen = await api.citizen()
        for slug in ("no-such-app", draft.slug):
            response = await api.client.post(
                f"/api/v1/miniapps/{slug}/grants",
                json={"scopes": ["profile.basic"]},
                headers=citizen.headers,
            )
            problem(response, 404, "not_found")

    async def test_only_a_citizen_may_grant(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers):
            response = await api.client.post(
                "/api/v1/miniapps/hello/grants", json={"scopes": ["profile.basic"]}, headers=headers
            )
            problem(response, 401, "unauthorized")


class TestMyGrants:
    async def test_lists_live_grants_only_for_the_caller(self, api: Api) -> None:
        first, second = await register(api), await register(api)
        citizen, other = await api.citizen(), await api.citizen()
        await grant(api, first.slug, citizen, ["profile.basic"])
        await grant(api, second.slug, citizen, ["healthcode.read", "profile.basic"])
        await grant(api, first.slug, other, ["profile.basic"])
        await api.client.delete(f"/api/v1/me/grants/{first.slug}", headers=citizen.headers)
        response = await api.client.get("/api/v1/me/grants", headers=citizen.headers)
        assert response.status_code == 200
        [only] = response.json()["items"]
        assert only["slug"] == second.slug and only["scopes"] == [
            "healthcode.read",
            "profile.basic",
        ]
        assert only["granted_at"].endswith(("Z", "+00:00"))

    async def test_pages(self, api: Api) -> None:
        citizen = await api.citizen()
        for _ in range(3):
            await grant(api, (await register(api)).slug, citizen, ["profile.basic"])
        first = (await api.client.get("/api/v1/me/grants?limit=2", headers=citizen.headers)).json()
        rest = await api.client.get(
            f"/api/v1/me/grants?limit=2&cursor={first['next_cursor']}", headers=citizen.headers
        )
        assert len(first["items"]) == 2 and len(rest.json()["items"]) == 1
        assert rest.json()["next_cursor"] is None
        problem(
            await api.client.get("/api/v1/me/grants?limit=0", headers=citizen.headers),
            422,
            "validation_error",
        )

    async def test_needs_a_citizen(self, api: Api) -> None:
        problem(await api.client.get("/api/v1/me/grants"), 401, "unauthorized")


class TestRevoke:
    async def test_tokens_stop_at_once_and_the_app_is_told(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        headers = await connect(api, app, citizen, ["profile.basic"])
        pending = await grant(api, app.slug, citizen, ["profile.basic"])
        assert (await api.client.get("/api/v1/apps/profile", headers=headers)).status_code == 200
        response = await api.client.delete(f"/api/v1/me/grants/{app.slug}", headers=citizen.headers)
        assert response.status_code == 204
        problem(await api.client.get("/api/v1/apps/profile", headers=headers), 401, "unauthorized")
        late = await api.client.post(
            "/api/v1/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "code": pending["code"],
            },
        )
        problem(late, 400, "invalid_grant")
        [event] = await db_fetch(
            api.client,
            "SELECT kind, citizen_id, data FROM outbox_event WHERE miniapp = {}",
            app.slug,
        )
        assert event["kind"] == "grant.revoked" and event["citizen_id"] == citizen.id
        assert citizen.id not in event["data"]

    async def test_granting_again_gives_new_tokens_and_old_ones_stay_dead(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        old = await connect(api, app, citizen, ["profile.basic"])
        await api.client.delete(f"/api/v1/me/grants/{app.slug}", headers=citizen.headers)
        new = await connect(api, app, citizen, ["profile.basic"])
        assert (await api.client.get("/api/v1/apps/profile", headers=new)).status_code == 200
        problem(await api.client.get("/api/v1/apps/profile", headers=old), 401, "unauthorized")

    async def test_an_in_process_app_loses_the_scopes_at_once(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, "hello", citizen, ["profile.basic"])
        assert (
            await api.client.post("/api/v1/miniapps/hello/visits", headers=citizen.headers)
        ).status_code == 200
        await api.client.delete("/api/v1/me/grants/hello", headers=citizen.headers)
        response = await api.client.post("/api/v1/miniapps/hello/visits", headers=citizen.headers)
        problem(response, 403, "scope_required")

    async def test_nothing_to_revoke_is_404(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.delete("/api/v1/me/grants/hello", headers=citizen.headers),
            404,
            "not_found",
        )
        problem(await api.client.delete("/api/v1/me/grants/hello"), 401, "unauthorized")


class TestDataAccess:
    async def test_every_read_and_charge_is_listed_newest_first(self, api: Api) -> None:
        app = await register(api)
        citizen = await api.citizen()
        await declare(api, citizen)
        headers = await connect(api, app, citizen)
        for path in ("profile", "healthcode", "identity"):
            assert (
                await api.client.get(f"/api/v1/apps/{path}", headers=headers)
            ).status_code == 200
        await api.client.post(
            "/api/v1/apps/wallet/charges",
            json={"amount": 100, "memo": "茶水"},
            headers={**headers, "Idempotency-Key": "c-1"},
        )
        response = await api.client.get("/api/v1/me/data-access", headers=citizen.headers)
        assert response.status_code == 200
        items = response.json()["items"]
        assert [i["what"] for i in items] == ["wallet.charge", "identity", "healthcode", "profile"]
        assert {i["slug"] for i in items} == {app.slug}
        assert items[2]["detail"] == "green"

        page = await api.client.get("/api/v1/me/data-access?limit=3", headers=citizen.headers)
        rest = await api.client.get(
            f"/api/v1/me/data-access?limit=3&cursor={page.json()['next_cursor']}",
            headers=citizen.headers,
        )
        assert [i["what"] for i in rest.json()["items"]] == ["profile"]

    async def test_a_citizen_sees_only_their_own(self, api: Api) -> None:
        app = await register(api)
        reader = await api.citizen()
        headers = await connect(api, app, reader, ["profile.basic"])
        await api.client.get("/api/v1/apps/profile", headers=headers)
        bystander = await api.citizen()
        log = await api.client.get("/api/v1/me/data-access", headers=bystander.headers)
        assert log.json()["items"] == []
        problem(await api.client.get("/api/v1/me/data-access"), 401, "unauthorized")

    async def test_a_revoked_app_can_no_longer_read_so_nothing_more_is_logged(
        self, api: Api
    ) -> None:
        app = await register(api)
        citizen = await api.citizen()
        headers = await connect(api, app, citizen, ["profile.basic"])
        await api.client.delete(f"/api/v1/me/grants/{app.slug}", headers=citizen.headers)
        await api.client.get("/api/v1/apps/profile", headers=headers)
        log = await api.client.get("/api/v1/me/data-access", headers=citizen.headers)
        assert log.json()["items"] == []

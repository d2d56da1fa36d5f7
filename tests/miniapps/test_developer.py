"""The developer platform: /api/v1/developer/apps… and the admin review of apps."""

from __future__ import annotations

import pytest

from app.errors import ProblemError
from miniapps import developer, service
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, problem
from tests.miniapps.conftest import client_headers, make_live, new_slug, register

APPS = "/api/v1/developer/apps"


def _body(**extra: object) -> dict[str, object]:
    return {"slug": new_slug(), "name": "好应用", "scopes": ["profile.basic"], **extra}


class TestCreateApp:
    async def test_secrets_are_shown_once_and_the_caller_becomes_a_developer(
        self, api: Api
    ) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            APPS,
            json=_body(webhook_url="https://hooks.example.com/citybrain"),
            headers=citizen.headers,
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["status"] == "draft"
        assert created["client_secret"].startswith("cs_") and created["webhook_secret"].startswith(
            "whsec_"
        )
        me = await api.client.get("/api/v1/me", headers=citizen.headers)
        assert "developer" in me.json()["roles"]
        shown = await api.client.get(f"{APPS}/{created['app_id']}", headers=citizen.headers)
        assert shown.status_code == 200
        assert (
            created["client_secret"] not in shown.text
            and created["webhook_secret"] not in shown.text
        )
        stored = await in_app(api.client, service.webhook_endpoint, created["slug"])
        assert stored == ("https://hooks.example.com/citybrain", created["webhook_secret"])

    async def test_real_name_is_required(self, api: Api) -> None:
        citizen = await api.citizen(verified=False)
        problem(
            await api.client.post(APPS, json=_body(), headers=citizen.headers),
            403,
            "real_name_required",
        )

    async def test_slugs_must_be_free(self, api: Api) -> None:
        citizen = await api.citizen()
        body = _body()
        assert (await api.client.post(APPS, json=body, headers=citizen.headers)).status_code == 201
        for slug in (body["slug"], "hello", "hotel", "medical", "apps"):
            response = await api.client.post(
                APPS, json={**body, "slug": slug}, headers=citizen.headers
            )
            problem(response, 409, "slug_taken")

    async def test_bad_input_is_422_and_registers_nothing(self, api: Api) -> None:
        citizen = await api.citizen()
        for body in (
            _body(slug="A"),
            _body(slug="x" * 40),
            _body(slug="medical\n"),  # a look-alike of a first-party app (Python's `$`)
            _body(slug="hello-app\n"),
            _body(templates=["visit.reminder\n"]),
            _body(version="1.0\n"),
            _body(version="\u0661.0"),
            _body(scopes=["root"]),
            _body(scopes=["profile.basic", "profile.basic"]),
            _body(templates=["Not A Name"]),
            {"name": "no slug", "scopes": []},
        ):
            problem(
                await api.client.post(APPS, json=body, headers=citizen.headers),
                422,
                "validation_error",
            )
        for url in (
            "ftp://example.com/x",
            "http://10.0.0.8/hook",
            "https://169.254.169.254/x",
            "https://intranet/x",
            "https://0xa9.0xfe.0xa9.0xfe/x",  # inet_aton reads 169.254.169.254
            "https://0251.0376.0251.0376/x",
            "https://127.1/x",
            "https://[64:ff9b::a9fe:a9fe]/x",  # NAT64 of the metadata address
            "https://[2002:a9fe:a9fe::]/x",  # 6to4
            "https://[fec0::1]/x",
            "https://hooks.example.123/x",
        ):
            response = await api.client.post(
                APPS, json=_body(webhook_url=url), headers=citizen.headers
            )
            problem(response, 422, "invalid_webhook_url")
        mine = await api.client.get(APPS, headers=citizen.headers)
        assert mine.json()["items"] == []

    async def test_only_citizens(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers):
            problem(await api.client.post(APPS, json=_body(), headers=headers), 401, "unauthorized")


class TestWebhookUrlRules:
    def test_test_and_dev_allow_local_http_receivers(self) -> None:
        assert developer.check_webhook_url("http://127.0.0.1:8123/h") == "http://127.0.0.1:8123/h"
        assert developer.check_webhook_url("http://localhost:9000/h") == "http://localhost:9000/h"
        with pytest.raises(ProblemError):
            developer.check_webhook_url("http://192.168.1.10/h")

    def test_production_wants_https_to_a_public_host(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.settings import settings_from_env

        production = settings_from_env({"CITYBRAIN_ENV": "production"})
        monkeypatch.setattr(developer, "get_settings", lambda: production)
        assert (
            developer.check_webhook_url("https://hooks.example.com/x")
            == "https://hooks.example.com/x"
        )
        for url in (
            "http://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://user:pw@hooks.example.com/x",
            "https://printer.local/x",
            "https://10.1.2.3/x",
            "https://100.64.0.1/x",
            "https://0x7f.1/x",
            "https://hooks.example.com:99999/x",
        ):
            with pytest.raises(ProblemError):
                developer.check_webhook_url(url)


class TestUpdateApp:
    async def test_rename_and_change_the_webhook_url(self, api: Api) -> None:
        app = await register(api, live=False)
        response = await api.client.patch(
            f"{APPS}/{app.app_id}",
            json={"name": "新名字", "webhook_url": "https://new.example.com/h"},
            headers=app.developer.headers,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["name"], response.json()["webhook_url"]) == (
            "新名字",
            "https://new.example.com/h",
        )
        cleared = await api.client.patch(
            f"{APPS}/{app.app_id}", json={"webhook_url": None}, headers=app.developer.headers
        )
        assert cleared.json()["webhook_url"] is None
        bad = await api.client.patch(
            f"{APPS}/{app.app_id}",
            json={"webhook_url": "https://10.0.0.1/x"},
            headers=app.developer.headers,
        )
        problem(bad, 422, "invalid_webhook_url")
        other = await api.citizen()
        problem(
            await api.client.patch(
                f"{APPS}/{app.app_id}", json={"name": "x"}, headers=other.headers
            ),
            404,
            "not_found",
        )


class TestSubmit:
    async def test_draft_to_submitted_once_by_its_developer(self, api: Api) -> None:
        app = await register(api, live=False)
        stranger = await api.citizen()
        url = f"{APPS}/{app.app_id}/submit"
        problem(await api.client.post(url, headers=stranger.headers), 404, "not_found")
        response = await api.client.post(url, headers=app.developer.headers)
        assert response.status_code == 200
        assert response.json()["status"] == "submitted" and response.json()["submitted_at"]
        problem(await api.client.post(url, headers=app.developer.headers), 409, "app_not_draft")
        problem(
            await api.client.post(f"{APPS}/nope/submit", headers=app.developer.headers),
            404,
            "not_found",
        )


class TestApprove:
    async def test_a_platform_admin_makes_it_live_and_it_is_audited(self, api: Api) -> None:
        app = await register(api, live=False)
        admin = await api.admin()
        url = f"/api/v1/admin/apps/{app.app_id}/approve"
        problem(await api.client.post(url, headers=admin.headers), 409, "app_not_submitted")
        await api.client.post(f"{APPS}/{app.app_id}/submit", headers=app.developer.headers)
        queue = await api.client.get("/api/v1/admin/apps?status=submitted", headers=admin.headers)
        assert app.slug in [a["slug"] for a in queue.json()["items"]]
        response = await api.client.post(url, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "live"
        problem(await api.client.post(url, headers=admin.headers), 409, "app_not_submitted")
        audit = await db_fetch(
            api.client,
            "SELECT actor_id, target FROM audit_entry WHERE action = 'miniapp.approve' "
            "AND target = {}",
            f"app:{app.app_id}:{app.slug}",
        )
        assert [row["actor_id"] for row in audit] == [admin.id]

    async def test_only_platform_admins(self, api: Api) -> None:
        app = await register(api, live=False)
        await api.client.post(f"{APPS}/{app.app_id}/submit", headers=app.developer.headers)
        url = f"/api/v1/admin/apps/{app.app_id}/approve"
        problem(await api.client.post(url, headers=app.developer.headers), 403, "forbidden")
        health_admin = await api.with_role("health_admin")
        problem(await api.client.post(url, headers=health_admin.headers), 403, "forbidden")
        problem(await api.client.post(url), 401, "unauthorized")
        problem(
            await api.client.post(
                "/api/v1/admin/apps/nope/approve", headers=(await api.admin()).headers
            ),
            404,
            "not_found",
        )


class TestSecretRotation:
    async def test_a_new_client_secret_kills_the_old_one_and_its_tokens(self, api: Api) -> None:
        app = await register(api)
        old_token = await client_headers(api, app)
        response = await api.client.post(
            f"{APPS}/{app.app_id}/client-secret", headers=app.developer.headers
        )
        assert response.status_code == 200
        new_secret = response.json()["client_secret"]
        old_secret, app.client_secret = app.client_secret, new_secret
        own = await client_headers(api, app)
        capture = "/api/v1/apps/wallet/holds/x/void"
        problem(await api.client.post(capture, headers=old_token), 401, "unauthorized")
        problem(await api.client.post(capture, headers=own), 404, "not_found")
        app.client_secret = old_secret
        refused = await api.client.post(
            "/api/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": old_secret,
            },
        )
        problem(refused, 401, "invalid_client")

    async def test_a_new_webhook_secret_signs_from_now_on(self, api: Api) -> None:
        app = await register(api, webhook_url="https://hooks.example.com/a")
        response = await api.client.post(
            f"{APPS}/{app.app_id}/webhook-secret", headers=app.developer.headers
        )
        assert response.status_code == 200
        secret = response.json()["webhook_secret"]
        assert secret != app.webhook_secret
        assert await in_app(api.client, service.webhook_endpoint, app.slug) == (
            "https://hooks.example.com/a",
            secret,
        )

    async def test_only_the_developer(self, api: Api) -> None:
        app = await register(api)
        stranger = await api.citizen()
        for what in ("client-secret", "webhook-secret"):
            problem(
                await api.client.post(f"{APPS}/{app.app_id}/{what}", headers=stranger.headers),
                404,  # like an unknown app: another developer's app ids cannot be probed
                "not_found",
            )


class TestListing:
    async def test_developers_see_their_own_apps(self, api: Api) -> None:
        app = await register(api, live=False)
        mine = await api.client.get(APPS, headers=app.developer.headers)
        assert [a["slug"] for a in mine.json()["items"]] == [app.slug]
        stranger = await api.citizen()
        assert (await api.client.get(APPS, headers=stranger.headers)).json()["items"] == []
        problem(
            await api.client.get(f"{APPS}/{app.app_id}", headers=stranger.headers), 404, "not_found"
        )

    async def test_what_other_domains_are_told(self, api: Api) -> None:
        draft = await register(api, live=False, templates=["a.b"])
        assert await in_app(api.client, service.app_exists, draft.slug) is False
        assert await in_app(api.client, service.app_templates, draft.slug) is None
        await make_live(api, draft)
        assert await in_app(api.client, service.app_exists, draft.slug) is True
        assert await in_app(api.client, service.app_templates, draft.slug) == ["a.b"]
        assert await in_app(api.client, service.app_owner, draft.app_id) == (
            draft.slug,
            draft.developer.id,
        )
        assert await in_app(api.client, service.app_owner, "nope") is None
        assert await in_app(api.client, service.webhook_endpoint, draft.slug) is None
        assert await in_app(api.client, service.app_exists, "hello") is True
        assert await in_app(api.client, service.app_templates, "hello") == ["hello.wave"]

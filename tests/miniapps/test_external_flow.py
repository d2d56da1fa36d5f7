"""An external mini-app's whole life over HTTP: register, review, grant, code exchange,
profile, hold, capture, notify, and signed webhooks received and verified by its backend."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.helpers import Api, bearer, problem
from tests.miniapps.conftest import keyed, new_slug
from tests.notifications.helpers import WebhookReceiver, settle, verify_signature


@pytest.fixture
def backend() -> Iterator[WebhookReceiver]:
    """The app's backend: an HTTP server on 127.0.0.1 that records webhooks."""
    server = WebhookReceiver([200]).start()
    yield server
    server.stop()


async def test_register_review_connect_charge_notify_and_receive_webhooks(
    api: Api, backend: WebhookReceiver
) -> None:
    # A real-name-verified citizen registers an app and becomes a developer.
    slug = new_slug("clinic")
    developer = await api.citizen(name="孙开发")
    created = await api.client.post(
        "/api/v1/developer/apps",
        json={
            "slug": slug,
            "name": "预约挂号",
            "scopes": ["profile.basic", "wallet.charge", "notify.send"],
            "webhook_url": backend.url,
            "templates": ["visit.reminder"],
        },
        headers=developer.headers,
    )
    assert created.status_code == 201, created.text
    app = created.json()
    assert app["status"] == "draft"

    # Review: submitted by its developer, approved by a platform admin.
    submitted = await api.client.post(
        f"/api/v1/developer/apps/{app['app_id']}/submit", headers=developer.headers
    )
    assert submitted.json()["status"] == "submitted"
    admin = await api.admin()
    approved = await api.client.post(
        f"/api/v1/admin/apps/{app['app_id']}/approve", headers=admin.headers
    )
    assert approved.json()["status"] == "live"
    listed = (await api.client.get("/api/v1/miniapps?limit=200")).json()["items"]
    assert [i["kind"] for i in listed if i["slug"] == slug] == ["external"]

    # A citizen consents; the app's backend exchanges the code.
    citizen = await api.citizen(name="周八")
    granted = await api.client.post(
        f"/api/v1/miniapps/{slug}/grants",
        json={"scopes": ["profile.basic", "wallet.charge", "notify.send"]},
        headers=citizen.headers,
    )
    assert granted.status_code == 201, granted.text
    token = await api.client.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code": granted.json()["code"],
        },
    )
    assert token.status_code == 200, token.text
    session = token.json()
    headers = bearer(session["access_token"])

    profile = await api.client.get("/api/v1/apps/profile", headers=headers)
    assert profile.json() == {"openid": session["openid"], "name_masked": "周*"}

    # Money: a hold, then a partial capture.
    hold = await api.client.post(
        "/api/v1/apps/wallet/holds",
        json={"amount": 20000, "memo": "挂号押金", "expires_in": 86400},
        headers=keyed(headers),
    )
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["hold_id"]
    capture = await api.client.post(
        f"/api/v1/apps/wallet/holds/{hold_id}/capture",
        json={"amount": 1500},
        headers=keyed(headers),
    )
    assert capture.json()["captured"] == 1500 and capture.json()["released"] == 18500

    # A notification with a template the citizen subscribed to.
    await api.client.post(
        f"/api/v1/miniapps/{slug}/subscriptions",
        json={"templates": ["visit.reminder"]},
        headers=citizen.headers,
    )
    notified = await api.client.post(
        "/api/v1/apps/notifications",
        json={"template": "visit.reminder", "data": {"time": "明天 09:30"}},
        headers=headers,
    )
    assert notified.status_code == 202, notified.text

    # The citizen revokes: the token dies at once, and the app is told.
    revoked = await api.client.delete(f"/api/v1/me/grants/{slug}", headers=citizen.headers)
    assert revoked.status_code == 204
    problem(await api.client.get("/api/v1/apps/profile", headers=headers), 401, "unauthorized")

    await settle(api)
    events = {}
    for hit in backend.received:
        assert verify_signature(hit.headers["citybrain-signature"], hit.body, app["webhook_secret"])
        assert not verify_signature(hit.headers["citybrain-signature"], hit.body, "whsec_wrong")
        event = json.loads(hit.body)
        assert set(event) == {"id", "type", "created_at", "data"}
        events[event["type"]] = event["data"]
        assert citizen.id not in hit.body.decode() and citizen.phone not in hit.body.decode()
    assert events["hold.captured"] == {"hold_id": hold_id, "captured": 1500, "released": 18500}
    assert events["grant.revoked"]["openid"] == session["openid"]

    inbox = (await api.client.get("/api/v1/notifications", headers=citizen.headers)).json()["items"]
    assert any(n["miniapp"] == slug and n["kind"] != "grant.revoked" for n in inbox)
    log = (await api.client.get("/api/v1/me/data-access", headers=citizen.headers)).json()["items"]
    assert [i["what"] for i in log] == ["wallet.capture", "wallet.hold", "profile"]

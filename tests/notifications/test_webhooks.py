"""Signed webhooks to external mini-apps: signature, retry policy, attempt log, replay."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from app import outbound
from notifications import webhooks
from tests.helpers import Api
from tests.notifications.conftest import FakeApps, ReceiverFactory
from tests.notifications.helpers import (
    publish_event,
    register_external_app,
    settle,
    sql,
    verify_signature,
    webhook_log,
)

EXPECTED_V1 = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"


async def deliveries(api: Api, app_id: str, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await api.client.get(
        f"/api/v1/developer/apps/{app_id}/webhook-deliveries", headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


class TestSignature:
    def test_signature_is_hmac_sha256_of_timestamp_dot_body(self) -> None:
        header = webhooks.signature("whsec_test", 1700000000, b'{"a":1}')
        # Computed independently:
        # printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert header == f"t=1700000000,v1={EXPECTED_V1}"

    def test_only_5xx_and_429_are_retried(self) -> None:
        assert webhooks.classify(200).ok and webhooks.classify(204).ok
        assert webhooks.classify(500).retry and webhooks.classify(503).retry
        assert webhooks.classify(429).retry
        for status in (301, 400, 401, 404, 410, 422):
            outcome = webhooks.classify(status)
            assert not outcome.ok and not outcome.retry


class TestDelivery:
    async def test_500_twice_then_200_delivers_once_with_three_attempts(
        self, api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
    ) -> None:
        developer = await api.citizen()
        citizen = await api.citizen()
        server = receiver([500, 500, 200])
        slug, app_id, secret = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
        event_id = await publish_event(
            api, "hold.captured", citizen.id, miniapp=slug, data={"hold_id": "h1", "amount": 500}
        )
        await settle(api)

        assert len(server.received) == 3
        bodies = {hit.body for hit in server.received}
        assert len(bodies) == 1  # the same event each time, so the receiver can dedupe
        last = server.received[-1]
        assert verify_signature(last.headers["citybrain-signature"], last.body, secret)
        assert not verify_signature(last.headers["citybrain-signature"], last.body, "wrong")
        assert last.headers["content-type"] == "application/json"
        payload = json.loads(last.body)
        assert payload["id"] == event_id and payload["type"] == "hold.captured"
        assert payload["data"] == {"hold_id": "h1", "amount": 500}
        assert payload["created_at"].endswith("Z") or "+00:00" in payload["created_at"]

        [logged] = await deliveries(api, app_id, developer.headers)
        assert logged["event_id"] == event_id and logged["status"] == "sent"
        attempts = logged["attempts"]
        assert isinstance(attempts, list)
        assert [a["status_code"] for a in attempts] == [500, 500, 200]

    async def test_400_is_not_retried(
        self, api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
    ) -> None:
        developer = await api.citizen()
        server = receiver([400, 200])
        slug, app_id, _ = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
        await publish_event(api, "refund.created", None, miniapp=slug, data={"refund_id": "r1"})
        await settle(api)
        assert len(server.received) == 1
        [logged] = await deliveries(api, app_id, developer.headers)
        assert logged["status"] == "failed"
        assert [a["status_code"] for a in logged["attempts"]] == [400]  # type: ignore[attr-defined]

    async def test_429_and_timeouts_are_retried_until_dead(
        self, api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
    ) -> None:
        developer = await api.citizen()
        server = receiver([429, 503], delays=[0.0, 1.5])  # second try outlasts the 1 s timeout
        slug, app_id, _ = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
        await publish_event(api, "hold.voided", None, miniapp=slug, data={"hold_id": "h2"})
        await settle(api)
        [logged] = await deliveries(api, app_id, developer.headers)
        attempts = logged["attempts"]
        assert isinstance(attempts, list) and len(attempts) == 4  # max_tries in tests
        assert attempts[0]["status_code"] == 429
        assert attempts[1]["status_code"] is None and "timeout" in attempts[1]["error"]
        assert [a["status_code"] for a in attempts[2:]] == [503, 503]
        assert logged["status"] == "dead"

    async def test_only_webhook_kinds_for_the_named_app_are_sent(
        self, api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
    ) -> None:
        citizen = await api.citizen()
        server = receiver([200])
        slug, _, _ = fake_apps.add(webhook_url=server.url)
        await publish_event(api, "wallet.captured", citizen.id, miniapp=slug)  # not a webhook type
        await publish_event(api, "grant.revoked", citizen.id)  # no app named
        await settle(api)
        assert server.received == []

    async def test_an_app_without_webhook_url_gets_none(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        slug, _, _ = fake_apps.add()
        event_id = await publish_event(api, "grant.revoked", None, miniapp=slug)
        await settle(api)
        rows = await sql(api, "SELECT id FROM notification_delivery WHERE event_id = {}", event_id)
        assert rows == []


class TestAddressesAtSendTime:
    """The host is resolved again at every send and the request pinned to the checked address."""

    @staticmethod
    def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        async def resolve(host: str, port: int) -> list[str]:
            if host not in answers:
                raise OSError(f"no such host in this test: {host}")
            return answers[host]

        monkeypatch.setattr(outbound, "resolve", resolve)

    async def test_a_name_is_sent_to_the_address_it_was_checked_at(
        self,
        api: Api,
        fake_apps: FakeApps,
        receiver: ReceiverFactory,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        server = receiver([200])
        port = urlsplit(server.url).port
        self.resolving(monkeypatch, {"hooks.partner.example": ["127.0.0.1"]})
        slug, _, _ = fake_apps.add(webhook_url=f"http://hooks.partner.example:{port}/in")
        await publish_event(api, "grant.revoked", None, miniapp=slug)
        await settle(api)
        [hit] = server.received
        assert hit.path == "/in" and hit.headers["host"] == f"hooks.partner.example:{port}"

    @pytest.mark.parametrize(
        "addresses",
        [["10.0.0.7"], ["93.184.216.34", "192.168.1.9"], ["::ffff:10.0.0.7"], ["169.254.169.254"]],
    )
    async def test_a_name_that_now_resolves_privately_is_refused_for_good(
        self,
        api: Api,
        fake_apps: FakeApps,
        receiver: ReceiverFactory,
        monkeypatch: pytest.MonkeyPatch,
        addresses: list[str],
    ) -> None:
        developer = await api.citizen()
        server = receiver([200])
        self.resolving(monkeypatch, {"rebound.partner.example": addresses})
        slug, app_id, _ = fake_apps.add(
            webhook_url="http://rebound.partner.example/in", developer_id=developer.id
        )
        await publish_event(api, "grant.revoked", None, miniapp=slug)
        await settle(api)
        assert server.received == []
        [logged] = await deliveries(api, app_id, developer.headers)
        assert logged["status"] == "failed"
        [attempt] = logged["attempts"]  # type: ignore[misc]
        assert attempt["status_code"] is None and "private address" in attempt["error"]

    async def test_a_name_that_does_not_resolve_is_retried(
        self, api: Api, fake_apps: FakeApps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        developer = await api.citizen()
        self.resolving(monkeypatch, {})
        slug, app_id, _ = fake_apps.add(
            webhook_url="https://gone.partner.example/in", developer_id=developer.id
        )
        await publish_event(api, "grant.revoked", None, miniapp=slug)
        await settle(api)
        [logged] = await deliveries(api, app_id, developer.headers)
        attempts = logged["attempts"]
        assert isinstance(attempts, list) and len(attempts) == 4  # max_tries in tests
        assert all("resolve" in a["error"] for a in attempts)
        assert logged["status"] == "dead"


class TestDeveloperEndpoints:
    async def test_replay_sends_again_and_logs_it(
        self, api: Api, fake_apps: FakeApps, receiver: ReceiverFactory
    ) -> None:
        developer = await api.citizen()
        server = receiver([410, 200])
        slug, app_id, _ = fake_apps.add(webhook_url=server.url, developer_id=developer.id)
        await publish_event(api, "grant.revoked", None, miniapp=slug, data={"openid": "o1"})
        await settle(api)
        [logged] = await deliveries(api, app_id, developer.headers)
        assert logged["status"] == "failed"
        replay = await api.client.post(
            f"/api/v1/developer/apps/{app_id}/webhook-deliveries/{logged['id']}/replay",
            headers=developer.headers,
        )
        assert replay.status_code == 202, replay.text
        assert replay.json() == {"id": logged["id"], "status": "pending"}
        await settle(api)
        [again] = await deliveries(api, app_id, developer.headers)
        assert again["status"] == "sent"
        assert [a["status_code"] for a in again["attempts"]] == [410, 200]  # type: ignore[attr-defined]
        assert len(server.received) == 2 and server.received[0].body == server.received[1].body

    async def test_someone_elses_app_is_404_like_an_unknown_one(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        developer, other = await api.citizen(), await api.citizen()
        _, app_id, _ = fake_apps.add(developer_id=developer.id)
        base = f"/api/v1/developer/apps/{app_id}/webhook-deliveries"
        listed = await api.client.get(base, headers=other.headers)
        assert listed.status_code == 404  # not 403: app ids must not be probeable
        replayed = await api.client.post(f"{base}/x/replay", headers=other.headers)
        assert replayed.status_code == 404
        unknown = await api.client.get(
            "/api/v1/developer/apps/nope/webhook-deliveries", headers=developer.headers
        )
        assert unknown.status_code == 404
        missing = await api.client.post(f"{base}/nope/replay", headers=developer.headers)
        assert missing.status_code == 404

    async def test_callers_without_a_citizen_token_are_refused(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        gate = await api.gate()
        _, app_id, _ = fake_apps.add()
        base = f"/api/v1/developer/apps/{app_id}/webhook-deliveries"
        for headers in ({}, gate.headers):
            assert (await api.client.get(base, headers=headers)).status_code == 401
            assert (await api.client.post(f"{base}/x/replay", headers=headers)).status_code == 401


class TestWithARegisteredApp:
    """The same path with an app registered through miniapps' developer API (no fakes)."""

    async def test_grant_revoked_is_signed_with_the_apps_secret(
        self, api: Api, receiver: ReceiverFactory
    ) -> None:
        server = receiver([200])
        app = await register_external_app(api, server.url)
        event_id = await publish_event(
            api, "grant.revoked", None, miniapp=app.slug, data={"openid": "o-123"}
        )
        await settle(api)
        [hit] = server.received
        assert verify_signature(hit.headers["citybrain-signature"], hit.body, app.webhook_secret)
        assert json.loads(hit.body)["id"] == event_id
        [logged] = await webhook_log(api, app)
        assert logged["status"] == "sent" and len(logged["attempts"]) == 1

"""SMS and push: which events go out, quiet hours, push device registration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.sms import RecordingSmsSender, get_sms_sender
from notifications import dispatcher
from notifications.push import RecordingPushSender
from tests.helpers import Api, problem
from tests.notifications.helpers import publish_event, settle, sql


def sms_to(phone: str) -> list[str]:
    sender = get_sms_sender()
    assert isinstance(sender, RecordingSmsSender)
    return [m.text for m in sender.sent if m.phone == phone and "验证码" not in m.text]


async def register(api: Api, headers: dict[str, str], token: str, platform: str = "ios") -> str:
    response = await api.client.post(
        "/api/v1/me/push-devices", json={"token": token, "platform": platform}, headers=headers
    )
    assert response.status_code == 201, response.text
    device_id: str = response.json()["id"]
    return device_id


class TestSms:
    async def test_important_events_are_texted(self, api: Api) -> None:
        citizen = await api.citizen()
        await publish_event(
            api, "wallet.overdue", citizen.id, title="账单逾期", body="请尽快还款。"
        )
        await publish_event(api, "wallet.captured", citizen.id, title="扣款成功", body="b")
        await settle(api)
        assert sms_to(citizen.phone) == ["【城市大脑】账单逾期：请尽快还款。"]


class TestPush:
    async def test_every_device_gets_a_push(
        self, api: Api, push_sender: RecordingPushSender
    ) -> None:
        citizen = await api.citizen()
        await register(api, citizen.headers, "token-ios-aaaaaaaa", "ios")
        await register(api, citizen.headers, "token-android-bbbb", "android")
        event_id = await publish_event(api, "wallet.captured", citizen.id, title="扣款成功")
        await settle(api)
        for token in ("token-ios-aaaaaaaa", "token-android-bbbb"):
            [push] = push_sender.to(token)
            assert push.title == "扣款成功" and push.data["notification_id"] == event_id

    async def test_a_token_the_gateway_refuses_is_forgotten(
        self, api: Api, push_sender: RecordingPushSender
    ) -> None:
        citizen = await api.citizen()
        await register(api, citizen.headers, "token-stale-cccccc")
        push_sender.invalid.add("token-stale-cccccc")
        await publish_event(api, "wallet.captured", citizen.id)
        await settle(api)
        listed = await api.client.get("/api/v1/me/push-devices", headers=citizen.headers)
        assert listed.json()["items"] == []

    async def test_no_device_no_push_delivery(self, api: Api) -> None:
        citizen = await api.citizen()
        event_id = await publish_event(api, "wallet.captured", citizen.id)
        await settle(api)
        rows = await sql(api, "SELECT id FROM notification_delivery WHERE event_id = {}", event_id)
        assert rows == []


class TestQuietHours:
    @pytest.fixture
    def at_night(self, monkeypatch: pytest.MonkeyPatch) -> datetime:
        morning = datetime(2030, 1, 2, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai

        def quiet(at: datetime) -> datetime | None:
            return morning

        monkeypatch.setattr(dispatcher, "quiet_until", quiet)
        return morning

    async def test_sms_and_push_wait_but_the_inbox_does_not(
        self, api: Api, push_sender: RecordingPushSender, at_night: datetime
    ) -> None:
        citizen = await api.citizen()
        await register(api, citizen.headers, "token-night-dddddd")
        event_id = await publish_event(api, "wallet.due", citizen.id)
        await settle(api)
        inbox = await api.client.get("/api/v1/notifications", headers=citizen.headers)
        assert [item["id"] for item in inbox.json()["items"]] == [event_id]
        assert sms_to(citizen.phone) == [] and push_sender.to("token-night-dddddd") == []
        held = await sql(
            api,
            "SELECT channel, status, next_attempt_at FROM notification_delivery "
            "WHERE event_id = {} ORDER BY channel",
            event_id,
        )
        assert [(row["channel"], row["status"]) for row in held] == [
            ("push", "pending"),
            ("sms", "pending"),
        ]
        assert all(str(row["next_attempt_at"]).startswith("2030-01-02") for row in held)

    async def test_urgent_events_go_out_at_once(
        self, api: Api, push_sender: RecordingPushSender, at_night: datetime
    ) -> None:
        citizen = await api.citizen()
        await register(api, citizen.headers, "token-urgent-eeeee")
        await publish_event(api, "healthcode.colour_changed", citizen.id, urgent=True)
        await settle(api)
        assert len(sms_to(citizen.phone)) == 1
        assert len(push_sender.to("token-urgent-eeeee")) == 1


class TestPushDevices:
    async def test_register_list_remove(self, api: Api) -> None:
        citizen = await api.citizen()
        device_id = await register(api, citizen.headers, "token-list-ffffffff", "harmony")
        listed = await api.client.get("/api/v1/me/push-devices", headers=citizen.headers)
        [device] = listed.json()["items"]
        assert device["id"] == device_id and device["platform"] == "harmony"
        assert "token" not in device
        removed = await api.client.delete(
            f"/api/v1/me/push-devices/{device_id}", headers=citizen.headers
        )
        assert removed.status_code == 204
        again = await api.client.delete(
            f"/api/v1/me/push-devices/{device_id}", headers=citizen.headers
        )
        problem(again, 404, "not_found")

    async def test_a_token_moves_to_the_phones_new_owner(self, api: Api) -> None:
        first, second = await api.citizen(), await api.citizen()
        await register(api, first.headers, "token-shared-gggggg")
        await register(api, second.headers, "token-shared-gggggg")
        mine = await api.client.get("/api/v1/me/push-devices", headers=first.headers)
        theirs = await api.client.get("/api/v1/me/push-devices", headers=second.headers)
        assert mine.json()["items"] == [] and len(theirs.json()["items"]) == 1

    async def test_another_citizens_device_cannot_be_removed(self, api: Api) -> None:
        owner, other = await api.citizen(), await api.citizen()
        device_id = await register(api, owner.headers, "token-owned-hhhhhh")
        response = await api.client.delete(
            f"/api/v1/me/push-devices/{device_id}", headers=other.headers
        )
        problem(response, 404, "not_found")

    async def test_bad_bodies(self, api: Api) -> None:
        citizen = await api.citizen()
        for body in (
            {"token": "short", "platform": "ios"},
            {"token": "token-long-enough", "platform": "symbian"},
            {"platform": "ios"},
        ):
            response = await api.client.post(
                "/api/v1/me/push-devices", json=body, headers=citizen.headers
            )
            problem(response, 422, "validation_error")
        listed = await api.client.get("/api/v1/me/push-devices", headers=citizen.headers)
        assert listed.json()["items"] == []

    async def test_callers_without_a_citizen_token_are_refused(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers):
            listed = await api.client.get("/api/v1/me/push-devices", headers=headers)
            assert listed.status_code == 401
            created = await api.client.post(
                "/api/v1/me/push-devices",
                json={"token": "token-xxxxxxxx", "platform": "ios"},
                headers=headers,
            )
            assert created.status_code == 401
            deleted = await api.client.delete("/api/v1/me/push-devices/x", headers=headers)
            assert deleted.status_code == 401

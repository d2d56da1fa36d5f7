"""POST /api/v1/auth/otp and POST /api/v1/auth/token: the OTP login."""

from __future__ import annotations

from datetime import timedelta

import pytest

import identity.service
from app.sms import RecordingSmsSender, get_sms_sender
from tests.helpers import ADMIN_PHONE, Api, bearer, new_phone, problem
from tests.identity.conftest import SettingsOverride

OTP = "/api/v1/auth/otp"
TOKEN = "/api/v1/auth/token"
BAD_PHONES = [
    "1397654321",  # 10 digits
    "139765432101",  # 12 digits
    "12976543210",  # second digit 2
    "23976543210",  # not starting with 1
    "+8613976543210",
    "1397654321a",
    " 13976543210",
    "",
    # Look-alikes that `\d` and `$` let through, each a second account for one phone:
    "13976543210\n",  # `$` matches before a final newline
    "1397654321\u0661",  # ARABIC-INDIC DIGIT ONE
    "13\uff19\uff17\uff16\uff15\uff14\uff13\uff12\uff11\uff10",  # full-width digits
]


def sms_count(phone: str) -> int:
    sender = get_sms_sender()
    assert isinstance(sender, RecordingSmsSender)
    return sum(1 for message in sender.sent if message.phone == phone)


class TestSendOtp:
    async def test_sends_a_six_digit_code_by_sms(self, api: Api) -> None:
        phone = new_phone()
        response = await api.client.post(OTP, json={"phone": phone})
        assert response.status_code == 202
        assert response.json() == {"expires_in": 300}  # no dev_code outside dev
        code = await api.otp(phone)
        assert len(code) == 6 and code.isdigit()

    async def test_dev_environment_returns_the_code(
        self, api: Api, override_settings: SettingsOverride
    ) -> None:
        override_settings(env="dev")
        phone = new_phone()
        response = await api.client.post(OTP, json={"phone": phone})
        assert response.status_code == 202
        sender = get_sms_sender()
        assert isinstance(sender, RecordingSmsSender)
        assert response.json()["dev_code"] in (sender.last_to(phone) or "")

    async def test_production_never_returns_the_code(
        self, api: Api, override_settings: SettingsOverride
    ) -> None:
        override_settings(env="production")
        response = await api.client.post(OTP, json={"phone": new_phone()})
        assert response.status_code == 202
        assert "dev_code" not in response.json()

    @pytest.mark.parametrize("phone", BAD_PHONES)
    async def test_invalid_phone_is_refused_and_nothing_sent(self, api: Api, phone: str) -> None:
        response = await api.client.post(OTP, json={"phone": phone})
        problem(response, 422, "invalid_phone")
        assert not phone.strip() or phone.strip() not in response.text  # never echoed
        assert sms_count(phone) == 0

    async def test_missing_phone_is_a_validation_error(self, api: Api) -> None:
        body = problem(await api.client.post(OTP, json={}), 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == ["phone"]

    async def test_phone_of_the_wrong_type_is_a_validation_error(self, api: Api) -> None:
        body = problem(
            await api.client.post(OTP, json={"phone": 13800000000}), 422, "validation_error"
        )
        assert body["errors"][0]["field"] == "phone"

    async def test_broken_json_is_malformed(self, api: Api) -> None:
        response = await api.client.post(
            OTP, content=b'{"phone": "138', headers={"Content-Type": "application/json"}
        )
        problem(response, 400, "malformed_request")

    async def test_too_many_codes_for_one_phone(
        self, api: Api, override_settings: SettingsOverride, fresh_limiter: None
    ) -> None:
        override_settings(otp_rate_per_phone=2)
        phone = new_phone()
        for _ in range(2):
            assert (await api.client.post(OTP, json={"phone": phone})).status_code == 202
        response = await api.client.post(OTP, json={"phone": phone})
        problem(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
        assert sms_count(phone) == 2
        # Another phone from the same client is not affected.
        assert (await api.client.post(OTP, json={"phone": new_phone()})).status_code == 202

    async def test_too_many_requests_from_one_client(
        self, api: Api, override_settings: SettingsOverride, fresh_limiter: None
    ) -> None:
        override_settings(auth_rate_per_client=3)
        for _ in range(3):
            assert (await api.client.post(OTP, json={"phone": new_phone()})).status_code == 202
        phone = new_phone()
        response = await api.client.post(OTP, json={"phone": phone})
        problem(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "20"  # frozen clock: 20 s left in the window
        assert sms_count(phone) == 0
        # The per-client limit covers every /api/v1/auth/* endpoint.
        problem(
            await api.client.post(TOKEN, json={"phone": phone, "code": "1"}), 429, "rate_limited"
        )


class TestToken:
    async def test_exchanges_the_code_for_a_token_pair(self, api: Api) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        response = await api.client.post(TOKEN, json={"phone": phone, "code": code})
        assert response.status_code == 200
        body = response.json()
        assert body.keys() == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        me = await api.client.get("/api/v1/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json()["phone_masked"] == f"{phone[:3]}****{phone[7:]}"

    async def test_a_second_login_is_the_same_citizen(self, api: Api) -> None:
        first = await api.login()
        second = await api.login(first.phone)
        assert first.id == second.id
        assert first.access_token != second.access_token

    async def test_a_code_works_once(self, api: Api) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        assert (
            await api.client.post(TOKEN, json={"phone": phone, "code": code})
        ).status_code == 200
        response = await api.client.post(TOKEN, json={"phone": phone, "code": code})
        problem(response, 401, "invalid_otp")

    async def test_wrong_code(self, api: Api) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        problem(
            await api.client.post(TOKEN, json={"phone": phone, "code": wrong}), 401, "invalid_otp"
        )

    async def test_four_wrong_codes_then_the_right_one_works(self, api: Api) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(4):
            await api.client.post(TOKEN, json={"phone": phone, "code": wrong})
        assert (
            await api.client.post(TOKEN, json={"phone": phone, "code": code})
        ).status_code == 200

    async def test_after_five_wrong_codes_the_code_is_dead(self, api: Api) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            response = await api.client.post(TOKEN, json={"phone": phone, "code": wrong})
            problem(response, 401, "invalid_otp")
        response = await api.client.post(TOKEN, json={"phone": phone, "code": code})
        problem(response, 401, "invalid_otp")
        # A new code brings the phone back.
        fresh = await api.otp(phone)
        assert (
            await api.client.post(TOKEN, json={"phone": phone, "code": fresh})
        ).status_code == 200

    async def test_a_new_code_replaces_the_previous_one(self, api: Api) -> None:
        phone = new_phone()
        first = await api.otp(phone)
        second = await api.otp(phone)
        if first != second:
            response = await api.client.post(TOKEN, json={"phone": phone, "code": first})
            problem(response, 401, "invalid_otp")
        assert (
            await api.client.post(TOKEN, json={"phone": phone, "code": second})
        ).status_code == 200

    async def test_expired_code(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        phone = new_phone()
        code = await api.otp(phone)
        later = identity.service.now() + timedelta(minutes=5, seconds=1)
        monkeypatch.setattr(identity.service, "now", lambda: later)
        problem(
            await api.client.post(TOKEN, json={"phone": phone, "code": code}), 401, "invalid_otp"
        )

    async def test_phone_without_a_code(self, api: Api) -> None:
        response = await api.client.post(TOKEN, json={"phone": new_phone(), "code": "123456"})
        problem(response, 401, "invalid_otp")

    async def test_invalid_phone(self, api: Api) -> None:
        response = await api.client.post(TOKEN, json={"phone": "12345", "code": "123456"})
        problem(response, 422, "invalid_phone")

    async def test_missing_code_is_a_validation_error(self, api: Api) -> None:
        body = problem(
            await api.client.post(TOKEN, json={"phone": new_phone()}), 422, "validation_error"
        )
        assert [e["field"] for e in body["errors"]] == ["code"]

    async def test_broken_json_is_malformed(self, api: Api) -> None:
        response = await api.client.post(
            TOKEN, content=b"{phone:", headers={"Content-Type": "application/json"}
        )
        problem(response, 400, "malformed_request")

    async def test_admin_phones_hold_both_admin_roles(self, api: Api) -> None:
        admin = await api.login(ADMIN_PHONE)
        me = await api.client.get("/api/v1/me", headers=admin.headers)
        assert me.json()["roles"] == ["citizen", "health_admin", "platform_admin"]

    async def test_other_phones_are_plain_citizens(self, api: Api) -> None:
        citizen = await api.login()
        me = await api.client.get("/api/v1/me", headers=citizen.headers)
        assert me.json()["roles"] == ["citizen"]

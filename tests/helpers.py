"""Acting as the contract's callers: citizens, admins and gate devices, over HTTP."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from httpx import Response

from identity.idcard import check_digit

ADMIN_PHONE = "19900000001"
_phones = itertools.count(random.randrange(10_000_000, 80_000_000))
_ids = itertools.count(random.randrange(100, 900))


def new_phone() -> str:
    return f"137{next(_phones):08d}"


def new_id_number(region: str = "330106", birth: str | None = None) -> str:
    """A valid, almost surely unused number: random birth date, counted sequence."""
    if birth is None:
        born = date(1950, 1, 1) + timedelta(days=random.randrange(0, 365 * 55))
        birth = born.strftime("%Y%m%d")
    n = next(_ids) % 1000
    first17 = f"{region}{birth}{n:03d}"
    return first17 + check_digit(first17)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Citizen:
    id: str
    phone: str
    access_token: str
    refresh_token: str
    id_number: str | None = None
    name: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


@dataclass
class Gate:
    venue_id: str
    gate_id: str
    device_secret: str
    access_token: str
    venue: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._admin: Citizen | None = None

    async def otp(self, phone: str) -> str:
        from app.sms import RecordingSmsSender, get_sms_sender

        response = await self.client.post("/api/v1/auth/otp", json={"phone": phone})
        assert response.status_code == 202, response.text
        sender = get_sms_sender()
        assert isinstance(sender, RecordingSmsSender)
        text = sender.last_to(phone)
        assert text is not None
        return "".join(c for c in text.split("验证码是")[1] if c.isdigit())[:6]

    async def login(self, phone: str | None = None) -> Citizen:
        phone = phone or new_phone()
        code = await self.otp(phone)
        response = await self.client.post("/api/v1/auth/token", json={"phone": phone, "code": code})
        assert response.status_code == 200, response.text
        body = response.json()
        me = await self.client.get("/api/v1/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200, me.text
        return Citizen(me.json()["id"], phone, body["access_token"], body["refresh_token"])

    async def citizen(self, verified: bool = True, name: str = "张三") -> Citizen:
        citizen = await self.login()
        if verified:
            id_number = new_id_number()
            response = await self.client.post(
                "/api/v1/me/real-name",
                json={"name": name, "id_number": id_number},
                headers=citizen.headers,
            )
            assert response.status_code == 200, response.text
            citizen.id_number, citizen.name = id_number, name
        return citizen

    async def admin(self) -> Citizen:
        if self._admin is None:
            self._admin = await self.login(ADMIN_PHONE)
        return self._admin

    async def with_role(self, *roles: str) -> Citizen:
        citizen = await self.citizen()
        admin = await self.admin()
        response = await self.client.put(
            f"/api/v1/admin/citizens/{citizen.id}/roles",
            json={"roles": ["citizen", *roles]},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        return citizen

    async def venue(
        self, kind: str = "metro", region_code: str = "330106", **extra: Any
    ) -> dict[str, Any]:
        admin = await self.admin()
        response = await self.client.post(
            "/api/v1/admin/venues",
            json={
                "name": f"测试{kind}",
                "kind": kind,
                "region_code": region_code,
                "address": "杭州市",
                **extra,
            },
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        venue: dict[str, Any] = response.json()
        return venue

    async def gate(self, kind: str = "metro", venue: dict[str, Any] | None = None) -> Gate:
        admin = await self.admin()
        venue = venue or await self.venue(kind)
        response = await self.client.post(
            f"/api/v1/admin/venues/{venue['id']}/gates",
            json={"name": "1号闸机"},
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        created = response.json()
        token = await self.client.post(
            "/api/v1/gate/token",
            json={"gate_id": created["gate_id"], "device_secret": created["device_secret"]},
        )
        assert token.status_code == 200, token.text
        return Gate(
            venue["id"],
            created["gate_id"],
            created["device_secret"],
            token.json()["access_token"],
            venue,
        )


def problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status and code; return its body."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body

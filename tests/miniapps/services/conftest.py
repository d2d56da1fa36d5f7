"""Services fixtures, over HTTP: a bundle written by a platform admin, department clerks
assigned by one, and applicants who granted what the bundle needs."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from miniapps.services.demo import NEWBORN
from tests.helpers import Api, Citizen
from tests.journeys.actors import grant, keyed

BASE = "/api/v1/miniapps/services"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SCOPES = ("profile.basic", "identity.realname", "notify.send")
ANSWERS = {
    "home_address": "杭州市西湖区文三路100号",
    "contact_phone": "13900001111",
    "baby_name": "张小宝",
    "baby_birth_date": "2026-12-01",
    "baby_sex": "女",
    "birth_hospital": "浙江大学医学院附属妇产科医院",
}
DEPARTMENTS = ("health_commission", "public_security", "healthcare_security")


def bundle_body() -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(NEWBORN)
    return body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def material(
    step: str, kind: str, data: bytes = PDF, content_type: str = "application/pdf"
) -> dict[str, Any]:
    return {
        "step": step,
        "kind": kind,
        "filename": "出生证明.pdf",
        "content_type": content_type,
        "content_base64": b64(data),
    }


async def make_bundle(api: Api, body: dict[str, Any] | None = None) -> str:
    """A newborn bundle under a code of its own (the suite shares one database)."""
    code = f"newborn_{uuid.uuid4().hex[:10]}"
    admin = await api.admin()
    response = await api.client.put(
        f"{BASE}/admin/bundles/{code}", json=body or bundle_body(), headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return code


async def clerk(api: Api, *departments: str) -> Citizen:
    """A citizen a platform admin made staff of these departments."""
    person = await api.citizen(name="李四")
    admin = await api.admin()
    response = await api.client.put(
        f"{BASE}/admin/staff/{person.id}",
        json={"departments": list(departments)},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    return person


async def applicant(api: Api, subscribed: bool = True) -> Citizen:
    person = await api.citizen(name="张三")
    await grant(api, person, "services", *SCOPES)
    if subscribed:
        response = await api.client.post(
            f"{BASE}/subscriptions", json={"templates": ["services.status"]}, headers=person.headers
        )
        assert response.status_code == 201, response.text
    return person


async def start(api: Api, person: Citizen, code: str) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/applications", json={"bundle": code}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def ready(api: Api, person: Citizen, code: str) -> dict[str, Any]:
    """An application with every field filled and every material attached: ready to submit."""
    started = await start(api, person, code)
    url = f"{BASE}/applications/{started['id']}"
    missing = {k: v for k, v in ANSWERS.items() if k in started["missing"]}
    if missing:
        filled = await api.client.patch(
            f"{url}/fields", json={"fields": missing}, headers=person.headers
        )
        assert filled.status_code == 200, filled.text
    for step, kind in (
        ("birth_certificate", "birth_record"),
        ("household_registration", "household_register"),
    ):
        attached = await api.client.post(
            f"{url}/materials", json=material(step, kind), headers=person.headers
        )
        assert attached.status_code == 201, attached.text
    found = await api.client.get(url, headers=person.headers)
    assert found.json()["missing"] == [], found.text
    body: dict[str, Any] = found.json()
    return body


async def submitted(api: Api, person: Citizen, code: str) -> dict[str, Any]:
    application = await ready(api, person, code)
    response = await api.client.post(
        f"{BASE}/applications/{application['id']}/submit", headers=keyed(person.headers)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def step_id(application: dict[str, Any], code: str) -> str:
    return str(next(s["id"] for s in application["steps"] if s["code"] == code))


async def decide(api: Api, staff: Citizen, step: str, status: str, **extra: Any) -> Any:
    return await api.client.post(
        f"{BASE}/desk/steps/{step}/decisions",
        json={"status": status, **extra},
        headers=staff.headers,
    )


@dataclass
class Desk:
    """One clerk per department of the newborn bundle."""

    health: Citizen
    police: Citizen
    insurance: Citizen

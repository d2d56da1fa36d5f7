"""Medical fixtures: a hospital set up by its own device, and a patient who granted credit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import Api, Citizen, Gate
from tests.journeys.actors import device, grant, keyed

BASE = "/api/v1/miniapps/medical"


@dataclass
class Hospital:
    gate: Gate
    id: str
    department_id: str
    estimate: int


async def make_hospital(api: Api, estimate: int = 50_000, name: str = "浙一医院") -> Hospital:
    desk = await device(api, "hospital")
    saved = await api.client.put(
        f"{BASE}/hospital",
        json={"name": name, "registration_estimate": estimate},
        headers=desk.headers,
    )
    assert saved.status_code == 200, saved.text
    department = await api.client.post(
        f"{BASE}/hospital/departments", json={"name": "内科"}, headers=desk.headers
    )
    assert department.status_code == 201, department.text
    return Hospital(desk, saved.json()["id"], department.json()["id"], estimate)


async def make_patient(api: Api) -> Citizen:
    patient = await api.citizen()
    await grant(api, patient, "medical", "wallet.charge")
    return patient


async def register(api: Api, hospital: Hospital, patient: Citizen) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/visits",
        json={"hospital_id": hospital.id, "department_id": hospital.department_id},
        headers=keyed(patient.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_charge(api: Api, hospital: Hospital, visit_id: str, amount: int) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/visits/{visit_id}/charges",
        json={"item": "血常规", "amount": amount},
        headers=keyed(hospital.gate.headers),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def hospital(api: Api) -> Hospital:
    return await make_hospital(api)


@pytest.fixture
async def patient(api: Api) -> Citizen:
    return await make_patient(api)

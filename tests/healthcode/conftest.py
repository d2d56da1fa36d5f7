"""Health-code fixtures: a clock put back after every test, and citizens with a status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from healthcode.clock import clock
from tests.helpers import Api, Citizen

HEALTHY: dict[str, Any] = {
    "temperature_c": 36.6,
    "symptoms": [],
    "visited_regions": [],
    "close_contact": False,
}


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    """Tests may move the health-code clock; every test starts and ends on real time."""
    clock.reset()
    yield
    clock.reset()


async def declared(api: Api, **declaration: Any) -> tuple[Citizen, dict[str, Any]]:
    """A verified citizen who has declared (healthy unless told otherwise), and the status."""
    citizen = await api.citizen()
    response = await api.client.post(
        "/api/v1/healthcode/declarations",
        json={**HEALTHY, **declaration},
        headers=citizen.headers,
    )
    assert response.status_code == 200, response.text
    return citizen, response.json()


async def fresh_code(api: Api, citizen: Citizen) -> str:
    response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code


async def scan(api: Api, gate: Any, code: str) -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/gate/scans", json={"code": code}, headers=gate.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

"""Park fixtures: a park set up by its turnstile, with a slot open now and one later.

Slots are Asia/Shanghai days' business (`GET /parks/{id}/slots` lists today's), so every park
test runs on the SDK clock stopped at local noon: "now" and "three hours later" are the same
local day at whatever hour the suite runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from miniapps.sdk import now
from tests.helpers import Api, Citizen, Gate
from tests.journeys.actors import device, health_code, set_credit_limit
from tests.miniapps.clock import StoppedClock, stopped_at_noon

BASE = "/api/v1/miniapps/park"


@dataclass
class Park:
    gate: Gate
    id: str
    ticket: int
    slot_now: str
    slot_later: str


def at(minutes: int) -> str:
    """An RFC 3339 time `minutes` from the SDK's now, on the minute."""
    moment = now().replace(second=0, microsecond=0) + timedelta(minutes=minutes)
    return moment.isoformat()


async def add_slot(api: Api, gate: Gate, start: int, end: int, capacity: int) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/park/slots",
        json={"starts_at": at(start), "ends_at": at(end), "capacity": capacity},
        headers=gate.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_park(api: Api, ticket: int = 8_000, capacity: int = 10) -> Park:
    gate = await device(api, "park")
    saved = await api.client.put(
        f"{BASE}/park", json={"name": "西湖景区", "ticket": ticket}, headers=gate.headers
    )
    assert saved.status_code == 200, saved.text
    now_slot = await add_slot(api, gate, -60, 120, capacity)
    later = await add_slot(api, gate, 180, 300, capacity)
    return Park(gate, saved.json()["id"], ticket, now_slot["id"], later["id"])


async def make_visitor(api: Api, colour: str = "green") -> Citizen:
    visitor = await api.citizen(name="李四")
    await health_code(api, visitor, colour)
    await set_credit_limit(api, visitor, 200_000)
    return visitor


async def reserve(api: Api, visitor: Citizen, slot_id: str) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/reservations", json={"slot_id": slot_id}, headers=visitor.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def slot(api: Api, park: Park, slot_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{BASE}/parks/{park.id}/slots")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = next(s for s in response.json() if s["id"] == slot_id)
    return found


@pytest.fixture(autouse=True)
def park_time() -> Iterator[StoppedClock]:
    with stopped_at_noon() as stopped:
        yield stopped


@pytest.fixture
async def park(api: Api) -> Park:
    return await make_park(api)


@pytest.fixture
async def visitor(api: Api) -> Citizen:
    return await make_visitor(api)

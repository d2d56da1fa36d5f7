"""Parking's actors over HTTP: a car park's device, a driver with a bound plate, and time.

Shared by the parking tests and the parking journey.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from tests.helpers import Api, Citizen, Gate
from tests.miniapps.clock import StoppedClock, stopped_time

BASE = "/api/v1/miniapps/parking"
TARIFF = {
    "name": "银泰地下停车场",
    "free_minutes": 15,
    "hourly_amount": 500,
    "daily_cap_amount": 4000,
}
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_plates = itertools.count(random.randrange(10_000, 90_000))


def new_plate() -> str:
    """A plate no other test uses (浙 + a letter + 5 digits)."""
    number = next(_plates)
    return f"浙{_LETTERS[number % len(_LETTERS)]}{number:05d}"


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


async def car_park(api: Api, kind: str = "mall", **tariff: Any) -> Gate:
    """A fresh venue of `kind` with its tariff set; returns its gate (a barrier)."""
    gate = await api.gate(kind)
    response = await api.client.put(
        f"{BASE}/device/car-park", json={**TARIFF, **tariff}, headers=gate.headers
    )
    assert response.status_code == 200, response.text
    return gate


async def barrier(api: Api, park: Gate) -> Gate:
    """Another gate of the same car park (the exit barrier)."""
    return await api.gate(venue=park.venue)


async def grant(api: Api, citizen: Citizen, *scopes: str) -> None:
    """The citizen grants parking `scopes` (POST /api/v1/miniapps/parking/grants)."""
    response = await api.client.post(
        "/api/v1/miniapps/parking/grants", json={"scopes": list(scopes)}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text


async def driver(
    api: Api, *, verified: bool = True, credit_limit: int | None = None
) -> tuple[Citizen, str]:
    """A citizen who granted parking `wallet.charge` and bound a fresh plate."""
    citizen = await api.citizen(verified=verified)
    if credit_limit is not None:
        await set_credit_limit(api, citizen, credit_limit)
    await grant(api, citizen, "wallet.charge")
    plate = new_plate()
    response = await api.client.post(
        f"{BASE}/plates", json={"plate": plate}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    return citizen, plate


async def set_credit_limit(api: Api, citizen: Citizen, credit_limit: int) -> None:
    admin = await api.admin()
    response = await api.client.put(
        f"/api/v1/admin/wallets/{citizen.id}/credit-limit",
        json={"credit_limit": credit_limit},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


async def wallet(api: Api, citizen: Citizen) -> dict[str, Any]:
    response = await api.client.get("/api/v1/wallet", headers=citizen.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# The apps share one clock (`miniapps.sdk.set_clock`); these names read well in the tests.
ParkingClock = StoppedClock
parking_time = stopped_time


@contextmanager
def wallet_time(ahead: timedelta) -> Iterator[None]:
    """Run the block with the wallet's clock `ahead` (bills fall overdue)."""
    from wallet import clock

    with clock.travel(ahead):
        yield

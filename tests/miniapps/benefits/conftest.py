"""Benefits fixtures: staff, programmes, listed citizens, and running the payment job.

Every test runs on the SDK clock stopped at local noon, so that "today" is the payment day
whatever the hour the suite runs at. The directory holds every verified citizen of the
session's database, so each test's programme pays only the citizens it listed (a `list`
rule): what other tests created is never eligible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from miniapps.sdk import local_today
from tests.app.portal import in_app
from tests.helpers import Api, Citizen
from tests.miniapps.clock import StoppedClock, stopped_at_noon

BASE = "/api/v1/miniapps/benefits"
LISTED = [{"kind": "list"}]


def programme_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "高龄津贴",
        "amount": 10_000,
        "budget": 1_000_000,
        "payment_day": local_today().isoformat(),
        "rules": LISTED,
    }
    return {**body, **overrides}


async def staff(api: Api) -> Citizen:
    return await api.with_role("platform_admin")


async def create_programme(api: Api, by: Citizen, **overrides: Any) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/programmes", json=programme_body(**overrides), headers=by.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_to_list(api: Api, by: Citizen, programme_id: str, people: list[Citizen]) -> None:
    numbers = [p.id_number for p in people]
    response = await api.client.post(
        f"{BASE}/programmes/{programme_id}/list",
        json={"id_numbers": numbers},
        headers=by.headers,
    )
    assert response.status_code == 200, response.text


async def citizens(api: Api, count: int) -> list[Citizen]:
    return [await api.citizen(name="王五") for _ in range(count)]


async def pay(api: Api, programme_id: str) -> dict[str, int]:
    """The payment job for one programme, run to its end on the app's loop."""
    from miniapps.benefits.payments import pay_programme

    return await in_app(api.client, pay_programme, app_ctx(), programme_id)


def app_ctx() -> Any:
    from miniapps.registry import app_context, get_registry

    loaded = get_registry().get("benefits")
    assert loaded is not None
    return app_context(loaded)


async def report(api: Api, by: Citizen, programme_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{BASE}/programmes/{programme_id}/report", headers=by.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def my_payments(api: Api, citizen: Citizen) -> list[dict[str, Any]]:
    response = await api.client.get(f"{BASE}/me/payments", headers=citizen.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture(autouse=True)
def benefits_time() -> Iterator[StoppedClock]:
    with stopped_at_noon() as stopped:
        yield stopped


@pytest.fixture
async def admin(api: Api) -> Citizen:
    return await staff(api)

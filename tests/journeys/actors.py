"""The people and devices of the first-party mini-app flows (medical, hotel, park), over HTTP.

A citizen with a health code of a chosen colour, their grant to an app, a venue's device
(a gate of a venue of the app's kind), and Idempotency-Key headers.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import Api, Citizen, Gate

DECLARATIONS: dict[str, dict[str, Any]] = {
    "green": {"temperature_c": 36.5, "symptoms": [], "visited_regions": [], "close_contact": False},
    "yellow": {"temperature_c": 38.2, "symptoms": ["fever"], "visited_regions": []},
    "red": {"temperature_c": 36.6, "symptoms": [], "close_contact": True},
}


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    """The headers with an Idempotency-Key (a fresh one unless given)."""
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


async def health_code(api: Api, citizen: Citizen, colour: str = "green") -> str:
    """Declare so that the citizen's code has `colour`; return a fresh code to show."""
    response = await api.client.post(
        "/api/v1/healthcode/declarations", json=DECLARATIONS[colour], headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["colour"] == colour, response.text
    code: str = response.json()["code"]
    return code


async def fresh_code(api: Api, citizen: Citizen) -> str:
    """The code the app shows now (the citizen has declared before)."""
    response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code


async def grant(api: Api, citizen: Citizen, slug: str, *scopes: str) -> None:
    """The citizen consents to `scopes` for the app (`POST /api/v1/miniapps/{slug}/grants`)."""
    response = await api.client.post(
        f"/api/v1/miniapps/{slug}/grants", json={"scopes": list(scopes)}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text


async def device(api: Api, kind: str) -> Gate:
    """A gate of a fresh venue of `kind`: the venue's front desk, cashier or turnstile."""
    return await api.gate(kind)


async def wallet(api: Api, citizen: Citizen) -> dict[str, Any]:
    response = await api.client.get("/api/v1/wallet", headers=citizen.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def set_credit_limit(api: Api, citizen: Citizen, credit_limit: int) -> None:
    admin = await api.admin()
    response = await api.client.put(
        f"/api/v1/admin/wallets/{citizen.id}/credit-limit",
        json={"credit_limit": credit_limit},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text

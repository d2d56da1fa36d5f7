"""Setting a drill's scene up over HTTP, as the contract's callers would: citizens signed in
with the dev environment's `dev_code`, venues and gates made by an admin, an external app
registered, approved and granted."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from bench.drills.procs import ADMIN_PHONE
from identity.idcard import check_digit

HEALTHY = {"temperature_c": 36.5, "symptoms": [], "visited_regions": [], "close_contact": False}
_rng = random.Random()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in (statuses or (200, 201)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def login(http: httpx.AsyncClient, phone: str | None = None) -> dict[str, str]:
    phone = phone or f"13{_rng.randrange(10**9):09d}"
    sent = _ok(await http.post("/api/v1/auth/otp", json={"phone": phone}), 202)
    token = _ok(
        await http.post("/api/v1/auth/token", json={"phone": phone, "code": sent["dev_code"]})
    )
    return bearer(token["access_token"])


async def admin(http: httpx.AsyncClient) -> dict[str, str]:
    return await login(http, ADMIN_PHONE)


async def citizen(http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """A real-name-verified citizen: (id, headers)."""
    headers = await login(http)
    for _ in range(5):  # a rare random ID-number collision: draw another
        first17 = f"330106{_rng.randrange(1960, 2005)}0{_rng.randrange(1, 10)}1"
        first17 += f"{_rng.randrange(10)}{_rng.randrange(1000):03d}"
        number = first17 + check_digit(first17)
        answer = await http.post(
            "/api/v1/me/real-name", json={"name": "演练", "id_number": number}, headers=headers
        )
        if answer.status_code == 200:
            return str(answer.json()["id"]), headers
    raise RuntimeError("could not verify a citizen")


async def declare(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """A green health code for this citizen."""
    return str(
        _ok(await http.post("/api/v1/healthcode/declarations", json=HEALTHY, headers=headers))[
            "code"
        ]
    )


async def gate(http: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, str]:
    """A new metro venue with one gate; the gate's headers."""
    venue = _ok(
        await http.post(
            "/api/v1/admin/venues",
            json={"name": "演练站", "kind": "metro", "region_code": "330106", "address": "杭州"},
            headers=admin_headers,
        )
    )
    made = _ok(
        await http.post(
            f"/api/v1/admin/venues/{venue['id']}/gates",
            json={"name": "drill"},
            headers=admin_headers,
        )
    )
    token = _ok(await http.post("/api/v1/gate/token", json=made))
    return bearer(token["access_token"])


@dataclass
class App:
    slug: str
    client_id: str
    client_secret: str


async def external_app(
    http: httpx.AsyncClient, admin_headers: dict[str, str], webhook_url: str | None
) -> App:
    """An external app with wallet.charge, live, whose webhooks go to `webhook_url`."""
    _, developer = await citizen(http)
    slug = f"drill-{uuid.uuid4().hex[:10]}"
    made = _ok(
        await http.post(
            "/api/v1/developer/apps",
            json={
                "slug": slug,
                "name": "演练应用",
                "scopes": ["wallet.charge", "notify.send"],
                "webhook_url": webhook_url,
                "templates": ["visit.reminder"],
            },
            headers=developer,
        )
    )
    _ok(await http.post(f"/api/v1/developer/apps/{made['app_id']}/submit", headers=developer))
    _ok(await http.post(f"/api/v1/admin/apps/{made['app_id']}/approve", headers=admin_headers))
    return App(slug, made["client_id"], made["client_secret"])


async def connect(
    http: httpx.AsyncClient, app: App, citizen_headers: dict[str, str]
) -> dict[str, str]:
    """The citizen grants the app wallet.charge; the app's token for that citizen."""
    granted = _ok(
        await http.post(
            f"/api/v1/miniapps/{app.slug}/grants",
            json={"scopes": ["wallet.charge", "notify.send"]},
            headers=citizen_headers,
        )
    )
    token = _ok(
        await http.post(
            "/api/v1/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "code": granted["code"],
            },
        )
    )
    return bearer(token["access_token"])


async def credit_limit(
    http: httpx.AsyncClient, admin_headers: dict[str, str], citizen_id: str, limit: int
) -> None:
    _ok(
        await http.put(
            f"/api/v1/admin/wallets/{citizen_id}/credit-limit",
            json={"credit_limit": limit},
            headers=admin_headers,
        )
    )

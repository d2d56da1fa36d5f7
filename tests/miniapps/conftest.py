"""Mini-app fixtures: external apps registered, reviewed and connected over HTTP.

`External.register(...)` walks the developer API (draft → submitted → live by an admin);
`connect(...)` is a citizen granting scopes and the app's backend exchanging the code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.helpers import Api, Citizen, bearer

ALL_SCOPES = [
    "profile.basic",
    "healthcode.read",
    "wallet.charge",
    "notify.send",
    "identity.realname",
]
HEALTHY = {"temperature_c": 36.5, "symptoms": [], "visited_regions": [], "close_contact": False}


def new_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class External:
    """An external app as its developer knows it."""

    app_id: str
    slug: str
    client_id: str
    client_secret: str
    webhook_secret: str
    developer: Citizen


async def register(
    api: Api,
    *,
    scopes: list[str] | None = None,
    templates: list[str] | None = None,
    webhook_url: str | None = None,
    live: bool = True,
) -> External:
    developer = await api.citizen(name="李开发")
    slug = new_slug()
    response = await api.client.post(
        "/api/v1/developer/apps",
        json={
            "slug": slug,
            "name": "外部应用",
            "scopes": ALL_SCOPES if scopes is None else scopes,
            "webhook_url": webhook_url,
            "templates": ["visit.reminder"] if templates is None else templates,
        },
        headers=developer.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    app = External(
        body["app_id"],
        slug,
        body["client_id"],
        body["client_secret"],
        body["webhook_secret"],
        developer,
    )
    if live:
        await make_live(api, app)
    return app


async def make_live(api: Api, app: External) -> None:
    submitted = await api.client.post(
        f"/api/v1/developer/apps/{app.app_id}/submit", headers=app.developer.headers
    )
    assert submitted.status_code == 200, submitted.text
    admin = await api.admin()
    approved = await api.client.post(
        f"/api/v1/admin/apps/{app.app_id}/approve", headers=admin.headers
    )
    assert approved.status_code == 200, approved.text


async def grant(api: Api, slug: str, citizen: Citizen, scopes: list[str]) -> dict[str, Any]:
    response = await api.client.post(
        f"/api/v1/miniapps/{slug}/grants", json={"scopes": scopes}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def exchange(api: Api, app: External, code: str) -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def connect(
    api: Api, app: External, citizen: Citizen, scopes: list[str] | None = None
) -> dict[str, str]:
    """The citizen grants `scopes`; returns the headers of the app's token for them."""
    granted = await grant(api, app.slug, citizen, ALL_SCOPES if scopes is None else scopes)
    token = await exchange(api, app, granted["code"])
    return bearer(token["access_token"])


async def client_headers(api: Api, app: External) -> dict[str, str]:
    response = await api.client.post(
        "/api/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


async def declare(api: Api, citizen: Citizen, body: dict[str, Any] | None = None) -> str:
    """Give the citizen a health code; returns the code string."""
    response = await api.client.post(
        "/api/v1/healthcode/declarations", json=body or HEALTHY, headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code

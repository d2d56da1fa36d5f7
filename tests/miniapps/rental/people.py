"""Rental's actors over HTTP: a real-name landlord, a visitor who becomes a tenant, and time.

Shared by the rental tests and the rental journey.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.app.portal import in_app
from tests.helpers import Api, Citizen
from tests.miniapps.clock import StoppedClock, stopped_time

BASE = "/api/v1/miniapps/rental"
LANDLORD_SCOPES = ("identity.realname",)
TENANT_SCOPES = ("profile.basic", "identity.realname", "wallet.charge")
HOME = {
    "title": "西湖区文三路两室一厅",
    "region_code": "330106",
    "address": "杭州市西湖区文三路100号3单元502",
    "rooms": 2,
    "area_m2": 68,
    "rent_amount": 350_000,
    "deposit_amount": 700_000,
    "description": "近地铁, 南北通透",
}
_regions = itertools.count(random.randrange(10_000, 90_000))


def new_region_prefix() -> str:
    """Five digits no other test lists homes under, so that searches see only this test's."""
    return f"{next(_regions):05d}"


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


async def grant(api: Api, citizen: Citizen, *scopes: str) -> None:
    """The citizen grants rental `scopes` (POST /api/v1/miniapps/rental/grants)."""
    response = await api.client.post(
        "/api/v1/miniapps/rental/grants", json={"scopes": list(scopes)}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text


async def landlord(api: Api, name: str = "王房东") -> Citizen:
    citizen = await api.citizen(name=name)
    await grant(api, citizen, *LANDLORD_SCOPES)
    return citizen


async def tenant(api: Api, name: str = "李租客", credit_limit: int | None = 5_000_000) -> Citizen:
    citizen = await api.citizen(name=name)
    if credit_limit is not None:
        await set_credit_limit(api, citizen, credit_limit)
    await grant(api, citizen, *TENANT_SCOPES)
    return citizen


async def list_home(api: Api, owner: Citizen, **changes: Any) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/listings", json={**HOME, **changes}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def soon(days: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def book(api: Api, visitor: Citizen, home: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/listings/{home['id']}/viewings", json={"at": soon()}, headers=visitor.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def local_today() -> date:
    from miniapps.sdk import local_today

    return local_today()


async def offer(
    api: Api,
    owner: Citizen,
    viewing: dict[str, Any],
    months: int = 12,
    start: date | None = None,
) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/leases",
        json={
            "viewing_id": viewing["id"],
            "start_date": (start or local_today()).isoformat(),
            "months": months,
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def sign(api: Api, signer: Citizen, lease: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/leases/{lease['id']}/sign", headers=keyed(signer.headers)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def let_home(
    api: Api, months: int = 12, **changes: Any
) -> tuple[Citizen, Citizen, dict[str, Any]]:
    """A landlord, a tenant and their signed lease."""
    owner = await landlord(api)
    home = await list_home(api, owner, **changes)
    renter = await tenant(api)
    lease = await offer(api, owner, await book(api, renter, home), months)
    return owner, renter, await sign(api, renter, lease)


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


async def run_rent_job(api: Api) -> int:
    """The scheduled rent job, run once on the app's loop; how many months it charged."""
    from miniapps.rental import manifest
    from miniapps.rental.rent import charge_due_months
    from miniapps.sdk import MiniAppContext

    return await in_app(api.client, charge_due_months, MiniAppContext(manifest=manifest))


# The apps share one clock (`miniapps.sdk.set_clock`); these names read well in the tests.
RentalClock = StoppedClock
rental_time = stopped_time

"""The world the authorization matrix calls into: every kind of principal, and resources that
belong to one citizen (`citizen`), so that everyone else's call on them can be judged.

Gates are relative to the route: `gate` is a device of the venue that owns the resource (of
the route's venue kind), `other_venue_gate` one of another venue of the same kind,
`other_kind_gate` one of a venue of another kind. App tokens are relative to the scope the
route needs: `app` holds it, `app_unscoped` holds every other scope, `revoked_app` held it
until the citizen revoked the grant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.security import get_keyring
from tests.helpers import Api, Citizen, Gate, bearer
from tests.journeys.actors import grant, health_code, set_credit_limit
from tests.miniapps.conftest import ALL_SCOPES, External, client_headers, connect, register
from tests.miniapps.hotel.conftest import Hotel, check_in, make_hotel
from tests.miniapps.medical.conftest import Hospital, make_hospital
from tests.miniapps.park.conftest import Park, make_park
from tests.miniapps.parking.drivers import TARIFF
from tests.miniapps.rental.people import landlord, list_home
from tests.notifications.helpers import settle

PRINCIPALS = (
    "none",
    "expired",
    "foreign_audience",
    "citizen",
    "other_citizen",
    "developer",
    "health_admin",
    "platform_admin",
    "gate",
    "other_venue_gate",
    "other_kind_gate",
    "app",
    "app_unscoped",
    "revoked_app",
)
CITIZENS = ("citizen", "other_citizen", "developer", "health_admin", "platform_admin")
GATES = ("gate", "other_venue_gate", "other_kind_gate")
APPS = ("app", "app_unscoped", "revoked_app")
UNAUTHENTICATED = ("none", "expired", "foreign_audience")
GRANTED = {
    "hotel": ["wallet.charge"],
    "medical": ["wallet.charge"],
    "park": ["wallet.charge"],
    "parking": ["wallet.charge"],
    "rental": ["profile.basic", "identity.realname", "wallet.charge"],
    "hello": ["profile.basic", "healthcode.read", "wallet.charge", "notify.send"],
}


@dataclass
class World:
    api: Api
    citizen: Citizen
    other_citizen: Citizen
    health_admin: Citizen
    platform_admin: Citizen
    external: External
    hotel: Hotel
    other_hotel: Hotel
    hospital: Hospital
    other_hospital: Hospital
    park: Park
    other_park: Park
    gates: dict[str, tuple[Gate, Gate]]
    landlord: Citizen
    app_tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    unscoped_tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    revoked_token: dict[str, str] = field(default_factory=dict)
    merchant: dict[str, str] = field(default_factory=dict)
    unscoped_merchant: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def headers(self, principal: str, kind: str = "metro", scope: str = "") -> dict[str, str]:
        """The Authorization header of `principal` on a route of venue `kind` needing `scope`."""
        if principal == "none":
            return {}
        if principal in ("citizen", "other_citizen", "health_admin", "platform_admin"):
            return dict(getattr(self, principal).headers)
        if principal == "developer":
            return dict(self.external.developer.headers)
        if principal == "expired":
            return bearer(self._token("citizen", self.citizen.id, ttl=-120))
        if principal == "foreign_audience":
            return bearer(self._token("elsewhere", self.citizen.id, ttl=600))
        if principal in GATES:
            own, other = self.gates[kind]
            stranger = self.gates["metro" if kind != "metro" else "hotel"][0]
            chosen = {"gate": own, "other_venue_gate": other, "other_kind_gate": stranger}
            return dict(chosen[principal].headers)
        if principal == "app":
            return dict(self.merchant if scope == "merchant" else self.app_tokens[scope])
        if principal == "app_unscoped":
            return dict(
                self.unscoped_merchant if scope == "merchant" else self.unscoped_tokens[scope]
            )
        if principal == "revoked_app":
            return dict(self.revoked_token)
        raise KeyError(principal)

    def _token(self, audience: str, subject: str, ttl: int) -> str:
        return get_keyring().issue_token(
            audience=audience, subject=subject, ttl=ttl, claims={"sid": "s"}
        )


async def build_world(api: Api) -> World:
    citizen = await api.citizen(name="王五")
    await health_code(api, citizen)
    await set_credit_limit(api, citizen, 10_000_000)
    for slug, scopes in GRANTED.items():
        await grant(api, citizen, slug, *scopes)
    other = await api.citizen(name="赵六")
    await health_code(api, other)
    external = await register(api)
    hotels = (await make_hotel(api, rooms=20), await make_hotel(api))
    hospitals = (await make_hospital(api), await make_hospital(api))
    parks = (await make_park(api), await make_park(api))
    gates: dict[str, tuple[Gate, Gate]] = {
        "metro": (await api.gate("metro"), await api.gate("metro")),
        "hotel": (hotels[0].desk, hotels[1].desk),
        "hospital": (hospitals[0].gate, hospitals[1].gate),
        "park": (parks[0].gate, parks[1].gate),
        "mall": (await _car_park(api), await _car_park(api)),
        "office": (await api.gate("office"), await api.gate("office")),
    }
    world = World(
        api,
        citizen,
        other,
        await api.with_role("health_admin"),
        await api.with_role("platform_admin"),
        external,
        hotels[0],
        hotels[1],
        hospitals[0],
        hospitals[1],
        parks[0],
        parks[1],
        gates,
        await landlord(api),
    )
    token = await connect(api, external, citizen)
    world.app_tokens = {scope: token for scope in ALL_SCOPES}
    for scope in ALL_SCOPES:
        stranger = await api.citizen()
        await set_credit_limit(api, stranger, 100_000)
        others = [s for s in ALL_SCOPES if s != scope]
        world.unscoped_tokens[scope] = await connect(api, external, stranger, others)
    world.revoked_token = await _revoked(api, external)
    world.ids = await _resources(world)
    for everyone in (world.external.developer, world.health_admin, world.platform_admin):
        await health_code(api, everyone)
    world.merchant = await client_headers(api, external)
    world.unscoped_merchant = await client_headers(
        api, await register(api, scopes=["profile.basic"])
    )
    return world


async def _car_park(api: Api) -> Gate:
    gate = await api.gate("mall")
    response = await api.client.put(
        "/api/v1/miniapps/parking/device/car-park", json=TARIFF, headers=gate.headers
    )
    assert response.status_code == 200, response.text
    return gate


async def _revoked(api: Api, external: External) -> dict[str, str]:
    """The token of an app whose citizen then revoked the grant."""
    citizen = await api.citizen()
    await set_credit_limit(api, citizen, 100_000)
    headers = await connect(api, external, citizen)
    response = await api.client.delete(
        f"/api/v1/me/grants/{external.slug}", headers=citizen.headers
    )
    assert response.status_code in (200, 204), response.text
    return headers


async def _resources(world: World) -> dict[str, str]:
    """What belongs to `citizen` (or to the venues of the world) and is only read."""
    api, citizen = world.api, world.citizen
    spare = await register(api)
    spare_app = await api.client.post(
        "/api/v1/developer/apps",
        json={"slug": f"s-{uuid.uuid4().hex[:12]}", "name": "备用", "scopes": ["profile.basic"]},
        headers=world.external.developer.headers,
    )
    assert spare_app.status_code == 201, spare_app.text
    subscribed = await api.client.post(
        f"/api/v1/miniapps/{world.external.slug}/subscriptions",
        json={"templates": ["visit.reminder"]},
        headers=citizen.headers,
    )
    assert subscribed.status_code in (200, 201), subscribed.text
    sent = await api.client.post(
        "/api/v1/apps/notifications",
        json={"template": "visit.reminder", "data": {}},
        headers=world.app_tokens["notify.send"],
    )
    assert sent.status_code in (200, 201, 202), sent.text
    await settle(api)
    inbox = await api.client.get("/api/v1/notifications", headers=citizen.headers)
    notification = body_of(inbox)["items"][0]["id"]
    stay = await check_in(api, world.hotel, citizen, nights=1)
    owed = await api.client.post(  # so that the citizen has something to repay
        "/api/v1/apps/wallet/charges",
        json={"amount": 100},
        headers={**world.app_tokens["wallet.charge"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert owed.status_code == 201, owed.text
    listing = await list_home(api, world.landlord)
    return {
        "metro_venue": world.gates["metro"][0].venue_id,
        "spare_slug": spare.slug,
        "app": world.external.app_id,
        "spare_app": body_of(spare_app)["app_id"],
        "unknown": str(uuid.uuid4()),
        "notification": notification,
        "stay": stay["id"],
        "park": world.park.id,
        "car_park": world.gates["mall"][0].venue_id,
        "listing": listing["id"],
    }


def body_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body

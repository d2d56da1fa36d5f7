"""The requests of the authorization matrix: each builder makes a request valid for the
principal allowed, so that everyone else's answer is about who they are. Builders of requests
that consume what they act on (a check-out, a revocation, a refresh token) make a fresh one
for every call.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from miniapps.sdk import local_today, now
from tests.app.authorization_rules import (
    Builder,
    Call,
    fresh_phone,
)
from tests.app.authorization_world import World, body_of
from tests.helpers import new_id_number
from tests.journeys.actors import fresh_code, grant, health_code, set_credit_limit
from tests.miniapps.conftest import keyed
from tests.miniapps.hotel.conftest import add_room
from tests.miniapps.park.conftest import add_slot
from tests.miniapps.parking.drivers import new_plate
from tests.miniapps.rental.people import book, list_home, offer, sign, tenant
from tests.recognition.factory import city, signer

HC = "/api/v1/healthcode"
MA = "/api/v1/miniapps"
HEALTHY = {"temperature_c": 36.5, "symptoms": [], "visited_regions": [], "close_contact": False}
PAGE = {"limit": "5"}
ARRIVALS = itertools.count(20)  # one booking a day: a citizen books a hotel once for a day
SLOTS = itertools.count(60, 7)  # minutes after the stopped noon


def built(fn: Any) -> Builder:
    """An async `fn(world) -> Call` used as a builder (named for the table's readability)."""
    builder: Builder = fn
    return builder


@built
async def refresh_token(world: World) -> Call:
    citizen = await world.api.login()
    return Call(json={"refresh_token": citizen.refresh_token})


@built
async def otp_code(world: World) -> Call:
    phone = fresh_phone()
    return Call(json={"phone": phone, "code": await world.api.otp(phone)})


@built
async def citizen_code(world: World) -> Call:
    return Call(json={"code": await fresh_code(world.api, world.citizen)})


@built
async def offline_batch(world: World) -> Call:
    item = {
        "scan_id": str(uuid.uuid4()),
        "code": await fresh_code(world.api, world.citizen),
        "scanned_at": now().isoformat(),
        "result": "pass",
    }
    return Call(json={"scans": [item]})


@built
async def fresh_gate(world: World) -> Call:
    gate = await world.api.gate("metro")
    return Call({"gate_id": gate.gate_id})


@built
async def gate_credentials(world: World) -> Call:
    gate = world.gates["metro"][0]
    return Call(json={"gate_id": gate.gate_id, "device_secret": gate.device_secret})


@built
async def a_bystander(world: World) -> Call:
    citizen = await world.api.citizen()
    return Call({"citizen_id": citizen.id}, params={"citizen_id": citizen.id})


@built
async def exposure_mark(world: World) -> Call:
    citizen = await world.api.citizen()
    return Call(json={"citizen_id": citizen.id, "from": (now() - timedelta(hours=2)).isoformat()})


@built
async def colour_override(world: World) -> Call:
    citizen = await world.api.citizen()
    return Call(json={"citizen_id": citizen.id, "colour": "yellow", "reason": "流调"})


@built
async def same_risk_regions(world: World) -> Call:
    response = await world.api.client.get(
        "/api/v1/admin/risk-regions", headers=world.health_admin.headers
    )
    return Call(json={"regions": body_of(response)["items"]})


@built
async def same_acceptance_rules(world: World) -> Call:
    response = await world.api.client.get(
        "/api/v1/admin/trust-list", headers=world.health_admin.headers
    )
    return Call(json=body_of(response)["rules"])


@built
async def a_city_issuer(world: World) -> Call:
    issuer = city(f"https://city-{uuid.uuid4().hex[:8]}.example")
    return Call(json=issuer.entry(), params={"iss": issuer.iss})


@built
async def a_trusted_city(world: World) -> Call:
    call = await a_city_issuer(world)
    response = await world.api.client.post(
        "/api/v1/admin/trust-list/city-issuers", json=call.json, headers=world.health_admin.headers
    )
    assert response.status_code in (200, 201), response.text
    return Call(params=call.params)


@built
async def a_submitted_app(world: World) -> Call:
    from tests.miniapps.conftest import register

    app = await register(world.api, live=False)
    response = await world.api.client.post(
        f"/api/v1/developer/apps/{app.app_id}/submit", headers=app.developer.headers
    )
    assert response.status_code == 200, response.text
    return Call({"app_id": app.app_id})


@built
async def a_new_grant(world: World) -> Call:
    await world.api.client.post(
        f"{MA}/{world.ids['spare_slug']}/grants",
        json={"scopes": ["profile.basic"]},
        headers=world.citizen.headers,
    )
    return Call({"slug": world.ids["spare_slug"]})


@built
async def a_push_device(world: World) -> Call:
    response = await world.api.client.post(
        "/api/v1/me/push-devices",
        json={"platform": "android", "token": uuid.uuid4().hex * 2},
        headers=world.citizen.headers,
    )
    assert response.status_code == 201, response.text
    return Call({"device_id": body_of(response)["id"]})


@built
async def a_subscription(world: World) -> Call:
    slug = world.external.slug
    response = await world.api.client.post(
        f"{MA}/{slug}/subscriptions",
        json={"templates": ["visit.reminder"]},
        headers=world.citizen.headers,
    )
    assert response.status_code in (200, 201), response.text
    return Call({"slug": slug, "template": "visit.reminder"})


@built
async def a_hold(world: World) -> Call:
    response = await world.api.client.post(
        "/api/v1/apps/wallet/holds",
        json={"amount": 100, "expires_in": 3600},
        headers=keyed(world.app_tokens["wallet.charge"]),
    )
    assert response.status_code == 201, response.text
    return Call({"hold_id": body_of(response)["hold_id"]}, json={"amount": 100})


@built
async def a_charge(world: World) -> Call:
    response = await world.api.client.post(
        "/api/v1/apps/wallet/charges",
        json={"amount": 100},
        headers=keyed(world.app_tokens["wallet.charge"]),
    )
    assert response.status_code == 201, response.text
    return Call(json={"charge_id": body_of(response)["charge_id"], "amount": 50})


@built
async def a_hotel_booking(world: World) -> Call:
    return Call(
        json={
            "hotel_id": world.hotel.id,
            "room_type_id": world.hotel.room_type_id,
            "arrival": (local_today() + timedelta(days=next(ARRIVALS))).isoformat(),
            "nights": 1,
        }
    )


@built
async def a_hotel_reservation(world: World) -> Call:
    await close_previous(world, "hotel_reservation", f"{MA}/hotel/reservations/{{}}/cancel")
    booking = await a_hotel_booking(world)
    response = await world.api.client.post(
        f"{MA}/hotel/reservations", json=booking.json, headers=keyed(world.citizen.headers)
    )
    assert response.status_code == 201, response.text
    world.ids["hotel_reservation"] = body_of(response)["id"]
    return Call({"reservation_id": body_of(response)["id"]})


async def close_open_visits(world: World) -> None:
    """One open visit a day at a hospital: cancel those earlier calls left open."""
    listed = await world.api.client.get(
        f"{MA}/medical/visits", params={"limit": "100"}, headers=world.citizen.headers
    )
    for visit in [v for v in body_of(listed)["items"] if v["status"] == "registered"]:
        await world.api.client.post(  # the hospital's desk may cancel a charged visit too
            f"{MA}/medical/visits/{visit['id']}/cancel", headers=keyed(world.hospital.gate.headers)
        )


async def close_previous(world: World, name: str, url: str, method: str = "POST") -> None:
    """End the citizen's `name` made for an earlier call (one may be open at a time)."""
    previous = world.ids.pop(name, None)
    if previous is not None:
        await world.api.client.request(
            method, url.format(previous), headers=keyed(world.citizen.headers)
        )


@built
async def a_visit(world: World) -> Call:
    from tests.miniapps.medical.conftest import register

    await close_open_visits(world)
    visit = await register(world.api, world.hospital, world.citizen)
    return Call({"visit_id": visit["id"]}, json={"item": "血常规", "amount": 100})


@built
async def a_park_reservation(world: World) -> Call:
    booking = await a_park_booking(world)
    response = await world.api.client.post(
        f"{MA}/park/reservations", json=booking.json, headers=world.citizen.headers
    )
    assert response.status_code == 201, response.text
    return Call({"reservation_id": body_of(response)["id"]})


@built
async def a_plate(world: World) -> Call:
    await close_previous(world, "plate", f"{MA}/parking/plates/{{}}", "DELETE")
    plate = new_plate()
    response = await world.api.client.post(
        f"{MA}/parking/plates", json={"plate": plate}, headers=world.citizen.headers
    )
    assert response.status_code == 201, response.text
    world.ids["plate"] = plate
    return Call({"plate": plate}, json={"plate": plate})


@built
async def a_viewing(world: World) -> Call:
    viewing = await book(world.api, world.citizen, await list_home(world.api, world.landlord))
    return Call({"viewing_id": viewing["id"]})


@built
async def a_lease(world: World) -> Call:
    home = await list_home(world.api, world.landlord, rent_amount=10_000, deposit_amount=10_000)
    lease = await offer(world.api, world.landlord, await book(world.api, world.citizen, home))
    return Call({"lease_id": lease["id"]})


@built
async def a_viewing_to_offer(world: World) -> Call:
    """The citizen as a landlord: someone booked a viewing of the citizen's home."""
    home = await list_home(world.api, world.citizen)
    viewing = await book(world.api, world.other_citizen, home)
    return Call(
        json={"viewing_id": viewing["id"], "start_date": local_today().isoformat(), "months": 6}
    )


@built
async def a_dsc_list(world: World) -> Call:
    return Call(json={"certificates": [signer().entry()]})


@built
async def a_new_app(world: World) -> Call:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    return Call(json={"slug": slug, "name": "新应用", "scopes": ["profile.basic"]})


@built
async def a_client_grant(world: World) -> Call:
    app = world.external
    grant = {"client_id": app.client_id, "client_secret": app.client_secret}
    return Call(json={"grant_type": "client_credentials", **grant})


async def a_guest(world: World) -> str:
    """A fresh green citizen with credit; returns their code (a check-in or an entry takes
    one: the world's citizen would be checked in already)."""
    guest = await world.api.citizen()
    await health_code(world.api, guest)
    await set_credit_limit(world.api, guest, 500_000)
    await grant(world.api, guest, "park", "wallet.charge")
    return await fresh_code(world.api, guest)


@built
async def a_walk_in(world: World) -> Call:
    await add_room(world.api, world.hotel, f"{uuid.uuid4().int % 90_000 + 10_000}")
    code = await a_guest(world)
    return Call(json={"code": code, "room_type_id": world.hotel.room_type_id, "nights": 1})


@built
async def a_visitor(world: World) -> Call:
    return Call(json={"code": await a_guest(world)})


@built
async def an_id_card(world: World) -> Call:
    return Call(json={"id_number": world.citizen.id_number})


@built
async def a_guest_stay(world: World) -> Call:
    from tests.miniapps.hotel.conftest import check_in

    await add_room(world.api, world.hotel, f"{uuid.uuid4().int % 90_000 + 10_000}")
    guest = await world.api.citizen()
    await health_code(world.api, guest)
    await set_credit_limit(world.api, guest, 500_000)
    stay = await check_in(world.api, world.hotel, guest, nights=1)
    return Call({"stay_id": stay["id"]}, json={"item": "迷你吧", "amount": 100})


@built
async def a_room(world: World) -> Call:
    number = f"{uuid.uuid4().int % 90_000 + 10_000}"
    return Call(json={"room_type_id": world.hotel.room_type_id, "number": number})


@built
async def a_slot(world: World) -> Call:
    start = now().replace(second=0, microsecond=0)
    return Call(
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat(),
            "capacity": 5,
        }
    )


@built
async def a_car(world: World) -> Call:
    await close_previous(world, "plate", f"{MA}/parking/plates/{{}}", "DELETE")
    return Call(json={"plate": new_plate()})


@built
async def a_drivers_car(world: World) -> Call:
    """A fresh driver's bound plate (the world's citizen may bind only five)."""
    driver = await world.api.citizen()
    await set_credit_limit(world.api, driver, 500_000)
    await grant(world.api, driver, "parking", "wallet.charge")
    plate = new_plate()
    response = await world.api.client.post(
        f"{MA}/parking/plates", json={"plate": plate}, headers=driver.headers
    )
    assert response.status_code == 201, response.text
    return Call(json={"plate": plate})


@built
async def a_parked_car(world: World) -> Call:
    """A car that entered the world's car park (its exit barrier lets it out)."""
    plate = (await a_drivers_car(world)).json
    response = await world.api.client.post(
        f"{MA}/parking/gate/entries", json=plate, headers=keyed(world.gates["mall"][0].headers)
    )
    assert response.status_code in (200, 201), response.text
    return Call(json=plate)


@built
async def a_let_home(world: World) -> Call:
    """A lease signed for the citizen's own home (the landlord ends it at move-out)."""
    home = await list_home(world.api, world.citizen, rent_amount=10_000, deposit_amount=10_000)
    renter = await tenant(world.api)
    lease = await offer(world.api, world.citizen, await book(world.api, renter, home))
    await sign(world.api, renter, lease)
    return Call({"lease_id": lease["id"]})


@built
async def a_visit_request(world: World) -> Call:
    await close_open_visits(world)
    return Call(
        json={"hospital_id": world.hospital.id, "department_id": world.hospital.department_id}
    )


@built
async def a_park_booking(world: World) -> Call:
    """A place in a slot of its own (one place a slot for a citizen)."""
    start = next(SLOTS)
    slot = await add_slot(world.api, world.park.gate, start, start + 5, 3)
    return Call(json={"slot_id": slot["id"]})


@built
async def a_notice(world: World) -> Call:
    await a_subscription(world)
    return Call(json={"template": "visit.reminder"})


def real_name() -> Builder:
    @built
    async def build(world: World) -> Call:
        return Call(json={"name": "孙七", "id_number": new_id_number()})

    return build


def visit_at(days: int) -> dict[str, Any]:
    return {"at": (now() + timedelta(days=days)).replace(microsecond=0).isoformat()}

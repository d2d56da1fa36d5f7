"""Who may call what: one entry per operation of the built app (method, route path as the
app's route table spells it). `test_authorization_matrix.py` fails for a route without one.
The rules are in `authorization_rules.py`, the requests in `authorization_requests.py`.
"""

from __future__ import annotations

import uuid

from tests.app.authorization_requests import (
    HC,
    HEALTHY,
    MA,
    PAGE,
    a_bystander,
    a_car,
    a_charge,
    a_city_issuer,
    a_client_grant,
    a_drivers_car,
    a_dsc_list,
    a_guest_stay,
    a_hold,
    a_hotel_booking,
    a_hotel_reservation,
    a_lease,
    a_let_home,
    a_new_app,
    a_new_grant,
    a_notice,
    a_park_booking,
    a_park_reservation,
    a_parked_car,
    a_plate,
    a_push_device,
    a_room,
    a_slot,
    a_submitted_app,
    a_subscription,
    a_trusted_city,
    a_viewing,
    a_viewing_to_offer,
    a_visit,
    a_visit_request,
    a_visitor,
    a_walk_in,
    an_id_card,
    citizen_code,
    colour_override,
    exposure_mark,
    fresh_gate,
    gate_credentials,
    offline_batch,
    otp_code,
    real_name,
    refresh_token,
    same_acceptance_rules,
    same_risk_regions,
    visit_at,
)
from tests.app.authorization_rules import OK, Rule, ids, static, with_json
from tests.app.authorization_world import CITIZENS, PRINCIPALS
from tests.miniapps.parking.drivers import TARIFF
from tests.miniapps.rental.people import HOME

OTHER_HOTEL = {"other_venue_gate": 422}
ROOM_TYPE = "another hotel's room type is no room type of this hotel, like an unknown id"
CITIZENS_409 = {
    p: 409 for p in ("citizen", "other_citizen", "developer", "health_admin", "platform_admin")
}
TABLE: dict[tuple[str, str], Rule] = {
    # The core: health, sign-in, the citizen, admins of citizens, venues and gates.
    ("GET", "/health"): Rule("public"),
    ("GET", "/health/live"): Rule("public"),
    ("GET", "/metrics"): Rule(
        "public", why="open unless CITYBRAIN_METRICS_TOKEN is set (tests/app/test_observability.py)"
    ),
    ("GET", "/.well-known/jwks.json"): Rule("public"),
    ("GET", "/schema"): Rule("public"),
    ("GET", "/schema/scalar"): Rule("public"),
    ("GET", "/schema/openapi.json"): Rule("public"),
    ("GET", "/schema/{path:str}"): Rule(
        "public", static({"path": "nowhere"}), {p: 404 for p in PRINCIPALS}, "no such page"
    ),
    ("POST", "/api/v1/auth/otp"): Rule("public", static(json={"phone": "13600000000"})),
    ("POST", "/api/v1/auth/token"): Rule("public", otp_code),
    ("POST", "/api/v1/auth/refresh"): Rule("public", refresh_token),
    ("POST", "/api/v1/auth/logout"): Rule(
        "citizen",
        refresh_token,
        {p: 422 for p in CITIZENS},
        "the refresh token is another login's: refused after authorization (ending one of the "
        "world's own logins would sign it out of every later call)",
    ),
    ("GET", "/api/v1/me"): Rule("citizen"),
    ("POST", "/api/v1/me/real-name"): Rule(
        "citizen", real_name(), CITIZENS_409, "every citizen of the world has a name bound"
    ),
    ("GET", "/api/v1/me/data-access"): Rule("citizen", static(params=PAGE)),
    ("GET", "/api/v1/admin/audit"): Rule("role:platform_admin", static(params=PAGE)),
    ("GET", "/api/v1/admin/citizens"): Rule(
        "role:health_admin|platform_admin", static(params={"phone": "13600000001"})
    ),
    ("PUT", "/api/v1/admin/citizens/{citizen_id:str}/roles"): Rule(
        "role:platform_admin", with_json(a_bystander, {"roles": ["citizen"]})
    ),
    ("POST", "/api/v1/admin/venues"): Rule(
        "role:platform_admin",
        static(json={"name": "测试站", "kind": "metro", "region_code": "330106"}),
    ),
    ("POST", "/api/v1/admin/venues/{venue_id:str}/gates"): Rule(
        "role:platform_admin", with_json(ids(venue_id="metro_venue"), {"name": "2号闸机"})
    ),
    ("POST", "/api/v1/admin/gates/{gate_id:str}/revoke"): Rule("role:platform_admin", fresh_gate),
    ("POST", "/api/v1/gate/token"): Rule("public", gate_credentials),
    # Health codes.
    ("POST", f"{HC}/declarations"): Rule("citizen", static(json=HEALTHY)),
    ("POST", f"{HC}/checkins"): Rule("citizen", static(json={"temperature_c": 36.4})),
    ("GET", HC): Rule("citizen"),
    ("GET", f"{HC}/qr.png"): Rule("citizen"),
    ("GET", f"{HC}/qr.svg"): Rule("citizen"),
    ("GET", f"{HC}/rules"): Rule("public"),
    ("POST", "/api/v1/gate/scans"): Rule("gate", citizen_code),
    ("POST", "/api/v1/gate/scans/id-card"): Rule("gate", an_id_card),
    ("POST", "/api/v1/gate/scans/offline"): Rule("gate", offline_batch),
    ("GET", "/api/v1/admin/exposures"): Rule("role:health_admin", a_bystander),
    ("POST", "/api/v1/admin/exposures/marks"): Rule("role:health_admin", exposure_mark),
    ("GET", "/api/v1/admin/risk-regions"): Rule("role:health_admin", static(params=PAGE)),
    ("PUT", "/api/v1/admin/risk-regions"): Rule("role:health_admin", same_risk_regions),
    ("POST", "/api/v1/admin/healthcode/overrides"): Rule("role:health_admin", colour_override),
    # Mutual recognition.
    ("GET", "/api/v1/admin/trust-list"): Rule("role:health_admin"),
    ("POST", "/api/v1/admin/trust-list/city-issuers"): Rule("role:health_admin", a_city_issuer),
    ("DELETE", "/api/v1/admin/trust-list/city-issuers"): Rule("role:health_admin", a_trusted_city),
    ("PUT", "/api/v1/admin/trust-list/dsc"): Rule("role:health_admin", a_dsc_list),
    ("PUT", "/api/v1/admin/trust-list/rules"): Rule("role:health_admin", same_acceptance_rules),
    ("GET", "/api/v1/gate/trust-list"): Rule("gate"),
    # The wallet.
    ("GET", "/api/v1/wallet"): Rule("citizen"),
    ("GET", "/api/v1/wallet/entries"): Rule("citizen", static(params=PAGE)),
    ("GET", "/api/v1/wallet/statements"): Rule("citizen", static(params=PAGE)),
    ("POST", "/api/v1/wallet/repayments"): Rule(
        "citizen",
        static(json={"amount": 1}),
        {p: 422 for p in CITIZENS if p != "citizen"},
        "only the world's citizen owes anything; the others' repayments are refused after "
        "authorization",
    ),
    ("PUT", "/api/v1/admin/wallets/{citizen_id:str}/credit-limit"): Rule(
        "role:platform_admin", with_json(a_bystander, {"credit_limit": 50_000})
    ),
    # Notifications.
    ("GET", "/api/v1/notifications"): Rule("citizen", static(params=PAGE)),
    ("POST", "/api/v1/notifications/{notification_id:str}/read"): Rule(
        "owner", ids(notification_id="notification")
    ),
    ("GET", "/api/v1/notifications/stream"): Rule("citizen"),
    ("POST", "/api/v1/miniapps/{slug:str}/subscriptions"): Rule(
        "citizen", static({"slug": "hello"}, json={"templates": ["hello.wave"]})
    ),
    ("GET", "/api/v1/me/subscriptions"): Rule("citizen", static(params=PAGE)),
    ("DELETE", "/api/v1/me/subscriptions/{slug:str}"): Rule("owner", a_subscription),
    ("DELETE", "/api/v1/me/subscriptions/{slug:str}/{template:str}"): Rule("owner", a_subscription),
    ("GET", "/api/v1/me/push-devices"): Rule("citizen", static(params=PAGE)),
    ("POST", "/api/v1/me/push-devices"): Rule(
        "citizen", static(json={"platform": "android", "token": "f" * 64})
    ),
    ("DELETE", "/api/v1/me/push-devices/{device_id:str}"): Rule("owner", a_push_device),
    ("GET", "/api/v1/admin/dead-letters"): Rule("role:platform_admin", static(params=PAGE)),
    ("POST", "/api/v1/admin/dead-letters/{letter_id:str}/replay"): Rule(
        "role:platform_admin",
        static({"letter_id": str(uuid.uuid4())}),
        {"platform_admin": 404},
        "no such letter: the role is checked first, then the id",
    ),
    # Mini-apps: the catalogue, consent, developers and their review.
    ("GET", "/api/v1/miniapps"): Rule("public", static(params=PAGE)),
    ("POST", "/api/v1/miniapps/{slug:str}/grants"): Rule(
        "citizen", static({"slug": "hello"}, json={"scopes": ["profile.basic"]})
    ),
    ("GET", "/api/v1/me/grants"): Rule("citizen", static(params=PAGE)),
    ("DELETE", "/api/v1/me/grants/{slug:str}"): Rule("owner", a_new_grant),
    ("GET", "/api/v1/developer/apps"): Rule("citizen", static(params=PAGE)),
    ("POST", "/api/v1/developer/apps"): Rule("citizen", a_new_app),
    ("GET", "/api/v1/developer/apps/{app_id:str}"): Rule("developer", ids(app_id="app")),
    ("PATCH", "/api/v1/developer/apps/{app_id:str}"): Rule(
        "developer", with_json(ids(app_id="app"), {"name": "外部应用"})
    ),
    ("POST", "/api/v1/developer/apps/{app_id:str}/client-secret"): Rule(
        "developer", ids(app_id="spare_app")
    ),
    ("POST", "/api/v1/developer/apps/{app_id:str}/webhook-secret"): Rule(
        "developer", ids(app_id="spare_app")
    ),
    ("POST", "/api/v1/developer/apps/{app_id:str}/sandbox/citizens"): Rule(
        "developer", with_json(ids(app_id="app"), {"name": "沙盒"})
    ),
    ("POST", "/api/v1/developer/apps/{app_id:str}/submit"): Rule(
        "developer", ids(app_id="app"), {"developer": 409}, "the app is live already"
    ),
    ("GET", "/api/v1/developer/apps/{app_id:str}/webhook-deliveries"): Rule(
        "developer", ids(app_id="app")
    ),
    ("POST", "/api/v1/developer/apps/{app_id:str}/webhook-deliveries/{delivery_id:str}/replay"): (
        Rule(
            "developer",
            ids(app_id="app", delivery_id="unknown"),
            {"developer": 404},
            "no such delivery of the developer's own app",
        )
    ),
    ("GET", "/api/v1/admin/apps"): Rule("role:platform_admin", static(params=PAGE)),
    ("POST", "/api/v1/admin/apps/{app_id:str}/approve"): Rule(
        "role:platform_admin", a_submitted_app
    ),
    ("GET", "/api/v1/admin/miniapps/registry"): Rule("role:platform_admin"),
    # External apps' backends.
    ("POST", "/api/v1/oauth/token"): Rule("public", a_client_grant),
    ("GET", "/api/v1/apps/profile"): Rule("app:profile.basic"),
    ("GET", "/api/v1/apps/identity"): Rule("app:identity.realname"),
    ("GET", "/api/v1/apps/healthcode"): Rule("app:healthcode.read"),
    ("POST", "/api/v1/apps/notifications"): Rule("app:notify.send", a_notice),
    ("POST", "/api/v1/apps/wallet/charges"): Rule("app:wallet.charge", static(json={"amount": 1})),
    ("POST", "/api/v1/apps/wallet/holds"): Rule(
        "app:wallet.charge", static(json={"amount": 1, "expires_in": 600})
    ),
    ("POST", "/api/v1/apps/wallet/holds/{hold_id:str}/capture"): Rule("merchant", a_hold),
    ("POST", "/api/v1/apps/wallet/holds/{hold_id:str}/void"): Rule("merchant", a_hold),
    ("POST", "/api/v1/apps/wallet/refunds"): Rule("merchant", a_charge),
}


def miniapp_platform_routes(
    slug: str, templates: list[str], scopes: list[str]
) -> dict[tuple[str, str], Rule]:
    """What the platform mounts on every mini-app: consent and subscriptions (core routes)."""
    no_templates = {} if templates else {p: 422 for p in CITIZENS}
    return {
        ("POST", f"{MA}/{slug}/grants"): Rule("citizen", static(json={"scopes": scopes})),
        ("POST", f"{MA}/{slug}/subscriptions"): Rule(
            "citizen",
            static(json={"templates": templates or ["none.declared"]}),
            no_templates,
            "" if templates else "the app declares no templates: nothing to subscribe to",
        ),
    }


H, M, P, PK, R = f"{MA}/hotel", f"{MA}/medical", f"{MA}/park", f"{MA}/parking", f"{MA}/rental"
TABLE |= {
    # Hotel.
    ("GET", f"{H}/hotels"): Rule("public", static(params=PAGE)),
    ("GET", f"{H}/hotel"): Rule("device:hotel"),
    ("PUT", f"{H}/hotel"): Rule(
        "device:hotel", static(json={"name": "湖滨酒店", "incidentals": 10_000})
    ),
    ("POST", f"{H}/hotel/room-types"): Rule(
        "device:hotel", static(json={"name": "双床房", "rate": 20_000})
    ),
    ("POST", f"{H}/hotel/rooms"): Rule("device_owner:hotel", a_room, OTHER_HOTEL, ROOM_TYPE),
    ("GET", f"{H}/hotel/rooms"): Rule("device:hotel", static(params=PAGE)),
    ("GET", f"{H}/hotel/register"): Rule("device:hotel", static(params=PAGE)),
    ("POST", f"{H}/check-ins"): Rule("device_owner:hotel", a_walk_in, OTHER_HOTEL, ROOM_TYPE),
    ("POST", f"{H}/stays/{{stay_id:str}}/extras"): Rule("device_owner:hotel", a_guest_stay),
    ("POST", f"{H}/stays/{{stay_id:str}}/check-out"): Rule("device_owner:hotel", a_guest_stay),
    ("GET", f"{H}/stays"): Rule("app_citizen", static(params=PAGE)),
    ("GET", f"{H}/stays/{{stay_id:str}}"): Rule(
        "app_owner",
        ids(stay_id="stay"),
        {"gate": OK, "other_venue_gate": 404},
        "the guest, and the desk of the hotel they stay at",
        venue="hotel",
    ),
    ("POST", f"{H}/reservations"): Rule("app_citizen", a_hotel_booking),
    ("GET", f"{H}/reservations"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{H}/reservations/{{reservation_id:str}}/cancel"): Rule(
        "app_owner", a_hotel_reservation
    ),
    ("POST", f"{H}/reservations/{{reservation_id:str}}/no-show"): Rule(
        "device_owner:hotel",
        a_hotel_reservation,
        {"gate": 409},
        "a booking for a later day is no no-show yet: refused after authorization",
    ),
    # Medical.
    ("GET", f"{M}/hospitals"): Rule("public", static(params=PAGE)),
    ("GET", f"{M}/hospital"): Rule("device:hospital"),
    ("PUT", f"{M}/hospital"): Rule(
        "device:hospital", static(json={"name": "浙一医院", "registration_estimate": 50_000})
    ),
    ("POST", f"{M}/hospital/departments"): Rule("device:hospital", static(json={"name": "外科"})),
    ("POST", f"{M}/visits"): Rule("app_citizen", a_visit_request),
    ("GET", f"{M}/visits"): Rule("app_citizen", static(params=PAGE)),
    ("GET", f"{M}/visits/{{visit_id:str}}"): Rule("app_owner", a_visit),
    ("POST", f"{M}/visits/{{visit_id:str}}/charges"): Rule("device_owner:hospital", a_visit),
    ("POST", f"{M}/visits/{{visit_id:str}}/cancel"): Rule(
        "app_owner",
        a_visit,
        {"gate": OK, "other_venue_gate": 404},
        "the patient before any charge, and the desk of the visit's hospital at any time",
        venue="hospital",
    ),
    ("POST", f"{M}/visits/{{visit_id:str}}/settle"): Rule("device_owner:hospital", a_visit),
    ("GET", f"{M}/bills"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{M}/card-scans"): Rule("device:hospital", citizen_code),
    # Park.
    ("GET", f"{P}/parks"): Rule("public", static(params=PAGE)),
    ("GET", f"{P}/parks/{{park_id:str}}/slots"): Rule("public", ids(park_id="park")),
    ("GET", f"{P}/park"): Rule("device:park"),
    ("PUT", f"{P}/park"): Rule("device:park", static(json={"name": "西湖景区", "ticket": 8_000})),
    ("POST", f"{P}/park/slots"): Rule("device:park", a_slot),
    ("GET", f"{P}/park/entries"): Rule("device:park", static(params=PAGE)),
    ("POST", f"{P}/reservations"): Rule("app_citizen", a_park_booking),
    ("GET", f"{P}/reservations"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{P}/reservations/{{reservation_id:str}}/cancel"): Rule(
        "app_owner", a_park_reservation
    ),
    ("POST", f"{P}/entries"): Rule("device:park", a_visitor),
    # Parking.
    ("PUT", f"{PK}/device/car-park"): Rule("device:mall", static(json=TARIFF)),
    ("GET", f"{PK}/car-parks"): Rule("public", static(params=PAGE)),
    ("GET", f"{PK}/car-parks/{{car_park_id:str}}"): Rule("public", ids(car_park_id="car_park")),
    ("GET", f"{PK}/plates"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{PK}/plates"): Rule("app_citizen", a_car),
    ("DELETE", f"{PK}/plates/{{plate:str}}"): Rule("app_owner", a_plate),
    ("GET", f"{PK}/stays"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{PK}/gate/entries"): Rule("device:mall", a_drivers_car),
    ("POST", f"{PK}/gate/exits"): Rule("device_owner:mall", a_parked_car),
    # Rental.
    ("POST", f"{R}/listings"): Rule("app_granted", static(json=HOME)),
    ("GET", f"{R}/listings"): Rule("public", static(params=PAGE)),
    ("GET", f"{R}/listings/{{listing_id:str}}"): Rule("public", ids(listing_id="listing")),
    ("GET", f"{R}/landlord/listings"): Rule("app_citizen", static(params=PAGE)),
    ("GET", f"{R}/landlord/register"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{R}/listings/{{listing_id:str}}/viewings"): Rule(
        "app_citizen", with_json(ids(listing_id="listing"), visit_at(3))
    ),
    ("GET", f"{R}/viewings"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{R}/viewings/{{viewing_id:str}}/cancel"): Rule("app_owner", a_viewing),
    ("GET", f"{R}/leases"): Rule("app_citizen", static(params=PAGE)),
    ("POST", f"{R}/leases"): Rule("app_owner", a_viewing_to_offer),
    ("GET", f"{R}/leases/{{lease_id:str}}"): Rule("app_owner", a_lease),
    ("POST", f"{R}/leases/{{lease_id:str}}/sign"): Rule("app_owner", a_lease),
    ("POST", f"{R}/leases/{{lease_id:str}}/move-out"): Rule("app_owner", a_let_home),
    # Hello, the example third-party mini-app.
    ("GET", f"{MA}/hello"): Rule("app_public", venue="office"),
    ("POST", f"{MA}/hello/visits"): Rule("app_citizen"),
    ("GET", f"{MA}/hello/colour"): Rule("app_granted"),
    ("POST", f"{MA}/hello/tips"): Rule("app_granted", static(json={"amount": 1})),
    ("POST", f"{MA}/hello/waves"): Rule("app_granted"),
    ("POST", f"{MA}/hello/desk/scans"): Rule("device:office", citizen_code),
}
for _slug, _templates, _scopes in (
    ("hotel", [], ["wallet.charge"]),
    ("medical", [], ["wallet.charge"]),
    ("park", [], ["wallet.charge"]),
    ("parking", [], ["wallet.charge"]),
    ("rental", [], ["profile.basic"]),
    ("hello", ["hello.wave"], ["profile.basic"]),
):
    TABLE |= miniapp_platform_routes(_slug, _templates, _scopes)

from tests.app import authorization_reports as reports  # noqa: E402

TABLE.update(reports.ENTRIES)

from tests.app import authorization_services as services  # noqa: E402

TABLE.update(services.ENTRIES)

from tests.app import authorization_benefits  # noqa: E402

TABLE.update(authorization_benefits.ENTRIES)

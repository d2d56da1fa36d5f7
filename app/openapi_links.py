"""OpenAPI links: which answer's id the next call takes (venue → gate, hold → capture/void,
app → submit → approve, stay → check-out, ...).

Clients read them as documentation of the flows; the stateful fuzz run
(`tests/app/stateful_run.py`, started by `tests/app/test_stateful_fuzz.py`) follows them to
explore sequences of calls. The table is data: a producer operation, the status it answers
with, and for each consumer the path parameters filled from that answer (OpenAPI runtime
expressions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Link, Operation
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute


@dataclass(frozen=True)
class To:
    """A consumer: `method path`, with each path parameter from a runtime expression."""

    method: str
    path: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        words = re.sub(r"\{[^}]+\}", "", self.path).strip("/").split("/")[-2:]
        return self.method.title() + "".join(
            w.replace("-", " ").title().replace(" ", "") for w in words
        )

    def link(self) -> Link:
        pointer = self.path.replace("~", "~0").replace("/", "~1")
        return Link(
            operation_ref=f"#/paths/{pointer}/{self.method.lower()}",
            parameters=dict(self.parameters),
        )


def _body(name: str) -> str:
    return f"$response.body#/{name}"


V1 = "/api/v1"
HOTEL, MEDICAL, PARK, RENTAL = (
    f"{V1}/miniapps/{a}" for a in ("hotel", "medical", "park", "rental")
)
_APP = {"app_id": _body("app_id")}
_HOLD = {"hold_id": _body("hold_id")}
_STAY = {"stay_id": _body("id")}
_VISIT = {"visit_id": _body("id")}
_LEASE = {"lease_id": _body("id")}
SERVICES = f"{V1}/miniapps/services"
_APPLICATION = {"application_id": _body("id")}

# (method, path) of the producer → (status, consumers).
LINKS: dict[tuple[str, str], tuple[int, list[To]]] = {
    ("POST", f"{V1}/admin/venues"): (
        201,
        [To("POST", f"{V1}/admin/venues/{{venue_id}}/gates", {"venue_id": _body("id")})],
    ),
    ("POST", f"{V1}/admin/venues/{{venue_id}}/gates"): (
        201,
        [To("POST", f"{V1}/admin/gates/{{gate_id}}/revoke", {"gate_id": _body("gate_id")})],
    ),
    ("POST", f"{V1}/apps/wallet/holds"): (
        201,
        [
            To("POST", f"{V1}/apps/wallet/holds/{{hold_id}}/capture", _HOLD),
            To("POST", f"{V1}/apps/wallet/holds/{{hold_id}}/void", _HOLD),
        ],
    ),
    ("POST", f"{V1}/developer/apps"): (
        201,
        [
            To("GET", f"{V1}/developer/apps/{{app_id}}", _APP),
            To("PATCH", f"{V1}/developer/apps/{{app_id}}", _APP),
            To("POST", f"{V1}/developer/apps/{{app_id}}/submit", _APP),
            To("POST", f"{V1}/developer/apps/{{app_id}}/client-secret", _APP),
            To("POST", f"{V1}/developer/apps/{{app_id}}/webhook-secret", _APP),
            To("GET", f"{V1}/developer/apps/{{app_id}}/webhook-deliveries", _APP),
        ],
    ),
    ("POST", f"{V1}/developer/apps/{{app_id}}/submit"): (
        200,
        [To("POST", f"{V1}/admin/apps/{{app_id}}/approve", _APP)],
    ),
    ("POST", f"{HOTEL}/check-ins"): (
        201,
        [
            To("GET", f"{HOTEL}/stays/{{stay_id}}", _STAY),
            To("POST", f"{HOTEL}/stays/{{stay_id}}/extras", _STAY),
            To("POST", f"{HOTEL}/stays/{{stay_id}}/check-out", _STAY),
        ],
    ),
    ("POST", f"{HOTEL}/reservations"): (
        201,
        [
            To(
                "POST",
                f"{HOTEL}/reservations/{{reservation_id}}/cancel",
                {"reservation_id": _body("id")},
            ),
            To(
                "POST",
                f"{HOTEL}/reservations/{{reservation_id}}/no-show",
                {"reservation_id": _body("id")},
            ),
        ],
    ),
    ("POST", f"{MEDICAL}/visits"): (
        201,
        [
            To("GET", f"{MEDICAL}/visits/{{visit_id}}", _VISIT),
            To("POST", f"{MEDICAL}/visits/{{visit_id}}/charges", _VISIT),
            To("POST", f"{MEDICAL}/visits/{{visit_id}}/settle", _VISIT),
            To("POST", f"{MEDICAL}/visits/{{visit_id}}/cancel", _VISIT),
        ],
    ),
    ("POST", f"{PARK}/reservations"): (
        201,
        [
            To(
                "POST",
                f"{PARK}/reservations/{{reservation_id}}/cancel",
                {"reservation_id": _body("id")},
            )
        ],
    ),
    ("POST", f"{RENTAL}/listings"): (
        201,
        [
            To("GET", f"{RENTAL}/listings/{{listing_id}}", {"listing_id": _body("id")}),
            To("POST", f"{RENTAL}/listings/{{listing_id}}/viewings", {"listing_id": _body("id")}),
        ],
    ),
    ("POST", f"{RENTAL}/listings/{{listing_id}}/viewings"): (
        201,
        [To("POST", f"{RENTAL}/viewings/{{viewing_id}}/cancel", {"viewing_id": _body("id")})],
    ),
    ("POST", f"{RENTAL}/leases"): (
        201,
        [
            To("GET", f"{RENTAL}/leases/{{lease_id}}", _LEASE),
            To("POST", f"{RENTAL}/leases/{{lease_id}}/sign", _LEASE),
            To("POST", f"{RENTAL}/leases/{{lease_id}}/move-out", _LEASE),
        ],
    ),
    ("POST", f"{SERVICES}/applications"): (
        201,
        [
            To("GET", f"{SERVICES}/applications/{{application_id}}", _APPLICATION),
            To("PATCH", f"{SERVICES}/applications/{{application_id}}/fields", _APPLICATION),
            To("POST", f"{SERVICES}/applications/{{application_id}}/materials", _APPLICATION),
            To("POST", f"{SERVICES}/applications/{{application_id}}/submit", _APPLICATION),
        ],
    ),
}
REPORTS = f"{V1}/miniapps/reports"
_EVENT = {"event_id": _body("id")}
LINKS[("POST", f"{REPORTS}/events")] = (
    201,
    [
        To("GET", f"{REPORTS}/events/{{event_id}}", _EVENT),
        To("POST", f"{REPORTS}/events/{{event_id}}/take", _EVENT),
        To("POST", f"{REPORTS}/events/{{event_id}}/transfer", _EVENT),
        To("POST", f"{REPORTS}/events/{{event_id}}/resolve", _EVENT),
        To("POST", f"{REPORTS}/events/{{event_id}}/rating", _EVENT),
    ],
)

BENEFITS = f"{V1}/miniapps/benefits/programmes"
_PROGRAMME = {"programme_id": _body("id")}
LINKS[("POST", BENEFITS)] = (
    201,
    [
        To("GET", f"{BENEFITS}/{{programme_id}}", _PROGRAMME),
        To("POST", f"{BENEFITS}/{{programme_id}}/list", _PROGRAMME),
        To("POST", f"{BENEFITS}/{{programme_id}}/runs", _PROGRAMME),
        To("POST", f"{BENEFITS}/{{programme_id}}/close", _PROGRAMME),
        To("GET", f"{BENEFITS}/{{programme_id}}/report", _PROGRAMME),
        To("GET", f"{BENEFITS}/{{programme_id}}/payments", _PROGRAMME),
    ],
)


def openapi_path(route_path: str) -> str:
    """`/a/{id:str}` (a Litestar route) as `/a/{id}` (its OpenAPI path)."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route_path)


def _linked_operation_class(status: int, consumers: list[To]) -> type[Operation]:
    links = {to.name: to.link() for to in consumers}

    @dataclass
    class LinkedOperation(Operation):
        def __post_init__(self) -> None:
            response: Any = (self.responses or {}).get(str(status))
            if response is not None and hasattr(response, "links"):
                response.links = {**(response.links or {}), **links}

    return LinkedOperation


class OpenAPILinksPlugin(ReceiveRoutePlugin):
    """Puts each producer's links (see `LINKS`) on its answer as routes are registered."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        path = openapi_path(route.path)
        for handler in route.route_handlers:
            for method in handler.http_methods:
                found = LINKS.get((method, path))
                if found is not None:
                    _set_operation_class(handler, *found)


def _set_operation_class(handler: HTTPRouteHandler, status: int, consumers: list[To]) -> None:
    handler.operation_class = _linked_operation_class(status, consumers)


def linked_operations() -> set[tuple[str, str]]:
    """Every operation a link names, producers and consumers (the test checks they exist)."""
    named = set(LINKS)
    for _, consumers in LINKS.values():
        named.update((to.method, to.path) for to in consumers)
    return named

"""Medical's HTTP routes, mounted under /api/v1/miniapps/medical.

Citizens register, list their visits and bills, and cancel before treatment; hospital
devices (gates of hospital venues: registration desks, doctors' terminals, cashiers) set the
hospital up, read the health code as the medical card, add charges and settle.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from miniapps.medical import desk, hospitals, visits
from miniapps.medical.errors import (
    BillExceedsEstimate,
    HospitalNotSetUp,
    VisitExists,
    VisitHasCharges,
    VisitNotOpen,
)
from miniapps.medical.schemas import (
    BillOut,
    CardScanOut,
    ChargeIn,
    ChargeOut,
    DepartmentIn,
    DepartmentOut,
    HospitalIn,
    HospitalOut,
    RegisterIn,
    ScanIn,
    VisitOut,
)
from miniapps.sdk import (
    SCAN_PROBLEMS,
    Conflict,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    Page,
    ScopeRequired,
    Unauthorized,
    idempotent,
)

Ctx = NamedDependency[MiniAppContext]
# Open to anyone: no token needed (OpenAPI: an empty security requirement).
PUBLIC: list[dict[str, list[str]]] = [{}]
AnyRequest = Request[Any, Any, Any]
_CITIZEN = (Unauthorized,)
_DEVICE = (Unauthorized, Forbidden, HospitalNotSetUp)
HOSPITAL_DEVICE = "Call with the gate token of one of this hospital's devices."


class HospitalsController(Controller):
    path = "/hospitals"

    @get(
        "",
        summary="Hospitals with their departments and registration estimate",
        security=PUBLIC,
    )
    async def hospitals(
        self, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[HospitalOut]:
        items, next_cursor = await hospitals.list_hospitals(limit, cursor)
        return Page(items, next_cursor)


class HospitalDeskController(Controller):
    """The hospital's own devices keep its profile in this app."""

    path = "/hospital"
    opt = {"problems": _DEVICE}

    @get("", summary="A hospital device: its hospital's profile")
    async def profile(self, ctx: Ctx) -> HospitalOut:
        return await hospitals.hospital_profile(ctx.require_device(HOSPITAL_DEVICE).venue_id)

    @put("", summary="A hospital device: set the hospital's name and registration estimate")
    async def save(self, ctx: Ctx, data: JSONBody[HospitalIn]) -> HospitalOut:
        return await hospitals.save_hospital(ctx.require_device(HOSPITAL_DEVICE).venue_id, data)

    @post(
        "/departments",
        status_code=201,
        summary="A hospital device: add a department",
        opt={"problems": (Conflict,)},
    )
    async def add_department(self, ctx: Ctx, data: JSONBody[DepartmentIn]) -> DepartmentOut:
        return await hospitals.add_department(
            ctx.require_device(HOSPITAL_DEVICE).venue_id, data.name
        )


class VisitsController(Controller):
    path = "/visits"

    @post(
        "",
        status_code=201,
        summary="Register at a hospital: the registration estimate is held on the credit line",
        description="Needs the `wallet.charge` grant and an `Idempotency-Key`. A suspended "
        "wallet (an overdue bill) is refused with 402 `wallet_suspended`.",
        opt={"problems": (*_CITIZEN, ScopeRequired, VisitExists)},
    )
    async def register(
        self,
        request: AnyRequest,
        ctx: Ctx,
        data: JSONBody[RegisterIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[VisitOut]:
        openid = ctx.require_citizen()
        ctx.require_scope("wallet.charge")

        async def run() -> VisitOut:
            return await visits.register(ctx, data.hospital_id, data.department_id)

        return await idempotent(
            request,
            scope=f"miniapp:medical:{openid}",
            key=idempotency_key,
            required=True,
            status_code=201,
            run=run,
        )

    @get("", summary="The citizen's visits, newest first", opt={"problems": _CITIZEN})
    async def visits(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[VisitOut]:
        items, next_cursor = await visits.visits_of(ctx.require_citizen(), limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/{visit_id:str}",
        summary="One of the citizen's visits, with its charges",
        opt={"problems": _CITIZEN},
    )
    async def visit(self, ctx: Ctx, visit_id: FromPath[str]) -> VisitOut:
        return await visits.visit_of(ctx.require_citizen(), visit_id)

    @post(
        "/{visit_id:str}/cancel",
        status_code=200,
        summary="Cancel a visit: the hold is voided",
        description="The citizen may cancel before any charge; a device of the hospital at "
        "any time. `Idempotency-Key` accepted.",
        opt={"problems": (*_DEVICE, VisitNotOpen, VisitHasCharges)},
    )
    async def cancel(
        self,
        request: AnyRequest,
        ctx: Ctx,
        visit_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[VisitOut]:
        device = ctx.device
        openid = None if device else ctx.require_citizen()

        async def run() -> VisitOut:
            return await desk.cancel(ctx, visit_id, device=device, openid=openid)

        caller = f"gate:{device.gate_id}" if device else str(openid)
        return await idempotent(
            request,
            scope=f"miniapp:medical:{caller}",
            key=idempotency_key,
            required=False,
            status_code=200,
            run=run,
        )

    @post(
        "/{visit_id:str}/charges",
        status_code=201,
        summary="A hospital device adds a charge to an open visit",
        description="Needs an `Idempotency-Key`. The bill never exceeds the amount held: "
        "409 `bill_exceeds_estimate`.",
        opt={"problems": (*_DEVICE, VisitNotOpen, BillExceedsEstimate)},
    )
    async def add_charge(
        self,
        request: AnyRequest,
        ctx: Ctx,
        visit_id: FromPath[str],
        data: JSONBody[ChargeIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ChargeOut]:
        device = ctx.require_device(HOSPITAL_DEVICE)

        async def run() -> ChargeOut:
            return await desk.add_charge(device, visit_id, data.item, data.amount)

        return await idempotent(
            request,
            scope=f"miniapp:medical:gate:{device.gate_id}",
            key=idempotency_key,
            required=True,
            status_code=201,
            run=run,
        )

    @post(
        "/{visit_id:str}/settle",
        status_code=200,
        summary="A hospital device settles the visit: the bill is captured, the rest released",
        description="Needs an `Idempotency-Key`. A visit without charges voids its hold.",
        opt={"problems": (*_DEVICE, VisitNotOpen)},
    )
    async def settle(
        self,
        request: AnyRequest,
        ctx: Ctx,
        visit_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[VisitOut]:
        device = ctx.require_device(HOSPITAL_DEVICE)

        async def run() -> VisitOut:
            return await desk.settle(ctx, device, visit_id)

        return await idempotent(
            request,
            scope=f"miniapp:medical:gate:{device.gate_id}",
            key=idempotency_key,
            required=True,
            status_code=200,
            run=run,
        )


@get("/bills", summary="The citizen's settled bills, itemised", opt={"problems": _CITIZEN})
async def bills(ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None) -> Page[BillOut]:
    items, next_cursor = await visits.visits_of(
        ctx.require_citizen(), limit, cursor, settled_only=True
    )
    return Page([visits.as_bill(visit) for visit in items], next_cursor)


@post(
    "/card-scans",
    status_code=200,
    summary="A hospital device reads the health code as the medical card: today's visit",
    description="Any colour is read (fever clinics); `visit` is null when the patient has no "
    "open visit here today.",
    opt={"problems": (*_DEVICE, *SCAN_PROBLEMS)},
)
async def card_scan(ctx: Ctx, data: JSONBody[ScanIn]) -> CardScanOut:
    return await desk.scan_card(ctx.require_device(HOSPITAL_DEVICE), data.code)


router = Router(
    path="/",
    # Any call may carry a bad token (401) or a gate of another kind of venue (403).
    opt={"problems": (Unauthorized, Forbidden)},
    route_handlers=[
        HospitalsController,
        HospitalDeskController,
        VisitsController,
        bills,
        card_scan,
    ],
)

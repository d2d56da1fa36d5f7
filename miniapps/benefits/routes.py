"""Benefits' HTTP routes, mounted under /api/v1/miniapps/benefits.

Staff (a citizen holding `platform_admin`) define programmes, upload the department's list,
start a payment run and read the report and every payment. Citizens read their own payments
and choose whether a benefit first repays an overdue pay-later balance.
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from miniapps.benefits import payments, programmes
from miniapps.benefits.errors import ProgrammeClosed, ProgrammeNotFound
from miniapps.benefits.schemas import (
    ListIn,
    ListOut,
    PaymentOut,
    PreferenceIn,
    PreferenceOut,
    ProgrammeIn,
    ProgrammeOut,
    ReportOut,
    RunOut,
    StaffPaymentOut,
)
from miniapps.sdk import (
    IDEMPOTENCY_PROBLEMS,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    Page,
    Unauthorized,
    atomic,
    idempotent,
    local_today,
)

Ctx = NamedDependency[MiniAppContext]
_FOUND = (ProgrammeNotFound,)


class ProgrammesController(Controller):
    """Staff: programmes, their lists, runs, reports and payments (platform_admin)."""

    path = "/programmes"

    @post(
        "",
        status_code=201,
        summary="Staff: define a programme (amount, budget, payment day, eligibility rules)",
        description="Rules are data, all of which must hold: `age` (from the verified ID, on "
        "the payment day), `region` (the ID's region, a code covers its sub-regions), `list` "
        "(on the department's list). Accepts an `Idempotency-Key`.",
        opt={"problems": IDEMPOTENCY_PROBLEMS},
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        data: JSONBody[ProgrammeIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ProgrammeOut]:
        staff = ctx.require_role("platform_admin")

        async def run() -> ProgrammeOut:
            return await programmes.create(ctx, data)

        return await idempotent(
            request,
            scope=f"miniapp:benefits:staff:{staff}",
            key=idempotency_key,
            required=False,
            status_code=201,
            run=run,
        )

    @get("", summary="Staff: the programmes, newest first")
    async def list_all(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[ProgrammeOut]:
        items, next_cursor = await programmes.list_all(ctx, limit, cursor)
        return Page(items, next_cursor)

    @get("/{programme_id:str}", summary="Staff: one programme", opt={"problems": _FOUND})
    async def one(self, ctx: Ctx, programme_id: FromPath[str]) -> ProgrammeOut:
        return await programmes.get(ctx, programme_id)

    @post(
        "/{programme_id:str}/list",
        status_code=200,
        summary="Staff: add ID numbers to the department's list (kept as keyed hashes only)",
        description="All or nothing: a number that is not a valid resident ID refuses the "
        "upload, naming its position (never the number). Numbers listed already are counted "
        "in `already_listed`.",
        opt={"problems": _FOUND},
    )
    async def add_to_list(
        self, ctx: Ctx, programme_id: FromPath[str], data: JSONBody[ListIn]
    ) -> ListOut:
        return await programmes.add_to_list(ctx, programme_id, data)

    @post(
        "/{programme_id:str}/runs",
        status_code=202,
        summary="Staff: pay every due period now (the scheduler does this on the payment day)",
        description="Sweeps the due periods again from the start (whoever became eligible "
        "since is paid; whoever was paid is skipped by their key) and retries refused "
        "payments, in a background job.",
        opt={"problems": (*_FOUND, ProgrammeClosed)},
    )
    async def run(self, ctx: Ctx, programme_id: FromPath[str]) -> RunOut:
        ctx.require_role("platform_admin")
        row = await programmes.programme_row(programme_id)
        if row["status"] != "active":
            raise ProgrammeClosed("This programme is closed: it pays nobody any more.")
        due = [period for period, _ in programmes.due_periods(row, local_today())]
        async with atomic():
            await programmes.reopen(programme_id)  # sweep again: someone may be new
            await ctx.audit("programme.run", f"programme:{programme_id}")
        if due:
            await ctx.enqueue(payments.run_programme, programme_id=programme_id)
        return RunOut(programme_id, due, bool(due))

    @post(
        "/{programme_id:str}/close",
        status_code=200,
        summary="Staff: close a programme: it pays nobody any more (what it paid stays)",
        opt={"problems": (*_FOUND, ProgrammeClosed)},
    )
    async def close(self, ctx: Ctx, programme_id: FromPath[str]) -> ProgrammeOut:
        return await programmes.close(ctx, programme_id)

    @get(
        "/{programme_id:str}/report",
        summary="Staff: eligible, paid, failed and why, totals; the ledger's side to match",
        opt={"problems": _FOUND},
    )
    async def report(self, ctx: Ctx, programme_id: FromPath[str]) -> ReportOut:
        return await programmes.report(ctx, programme_id)

    @get(
        "/{programme_id:str}/payments",
        summary="Staff: every payment of the programme (paid or failed), newest first",
        opt={"problems": _FOUND},
    )
    async def payments(
        self,
        ctx: Ctx,
        programme_id: FromPath[str],
        status: FromQuery[Literal["paid", "failed"] | None] = None,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[StaffPaymentOut]:
        items, next_cursor = await payments.payments_for_staff(
            ctx, programme_id, status, limit, cursor
        )
        return Page(items, next_cursor)


class CitizenController(Controller):
    """The citizen's side: their payments and their choice about overdue balances."""

    path = "/me"

    @get("/payments", summary="The citizen's benefit payments, newest first")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[PaymentOut]:
        items, next_cursor = await payments.payments_of(ctx, limit, cursor)
        return Page(items, next_cursor)

    @get("/preferences", summary="Whether a benefit first repays an overdue pay-later balance")
    async def preference(self, ctx: Ctx) -> PreferenceOut:
        return await payments.preference_of(ctx)

    @put("/preferences", summary="Choose whether a benefit first repays an overdue balance")
    async def set_preference(self, ctx: Ctx, data: JSONBody[PreferenceIn]) -> PreferenceOut:
        return await payments.set_preference(ctx, data)


router = Router(
    path="/",
    # Any call may carry a bad token (401), a gate's (403: benefits has no devices) or a
    # citizen without the staff role (403).
    opt={"problems": (Unauthorized, Forbidden)},
    route_handlers=[ProgrammesController, CitizenController],
)

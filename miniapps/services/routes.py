"""The services app's HTTP routes, mounted under /api/v1/miniapps/services.

Anyone reads the bundles; a citizen starts, fills, submits and follows applications; a
department's staff (citizens a platform admin assigned) work their department's steps; a
platform admin writes bundles and assigns staff.
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, Router, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from miniapps.sdk import (
    IDEMPOTENCY_PROBLEMS,
    TOKEN_OPTIONAL,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    Page,
    RealNameRequired,
    ScopeRequired,
    Unauthorized,
    idempotent,
)
from miniapps.services import applications, bundles, desk, staff
from miniapps.services.errors import (
    ApplicationIncomplete,
    ApplicationNotDraft,
    BundleNotFound,
    MaterialRejected,
    NotDepartmentStaff,
    StepNotWaiting,
)
from miniapps.services.schemas import (
    ApplicationBrief,
    ApplicationOut,
    BundleIn,
    BundleOut,
    DecisionIn,
    DeskStepOut,
    FieldsIn,
    MaterialIn,
    MaterialOut,
    ResubmitIn,
    StaffIn,
    StaffOut,
    StartIn,
)

Ctx = NamedDependency[MiniAppContext]
StepFilter = Literal["submitted", "accepted", "needs_more", "approved", "refused"]


class BundlesController(Controller):
    path = "/bundles"

    @get(
        "", summary="The service bundles (一件事) a citizen may apply for", security=TOKEN_OPTIONAL
    )
    async def bundles(self, limit: LimitParam = 50, cursor: CursorParam = None) -> Page[BundleOut]:
        items, next_cursor = await bundles.page(limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/{code:str}",
        summary="One bundle: its fields (who fills each) and its departments' steps",
        security=TOKEN_OPTIONAL,
        opt={"problems": (BundleNotFound,)},
    )
    async def bundle(self, code: FromPath[str]) -> BundleOut:
        return await bundles.get(code)


class AdminController(Controller):
    """Platform admins write bundles and give citizens a department."""

    path = "/admin"

    @put("/bundles/{code:str}", summary="Platform admin: create or replace a bundle")
    async def save_bundle(
        self, ctx: Ctx, code: FromPath[str], data: JSONBody[BundleIn]
    ) -> BundleOut:
        ctx.require_role("platform_admin")
        return await bundles.save(code, data)

    @put(
        "/staff/{citizen_id:str}",
        summary="Platform admin: make a citizen staff of a department",
        description="`citizen_id` is the platform's id of the citizen "
        "(`GET /api/v1/admin/citizens`).",
    )
    async def assign(
        self, ctx: Ctx, citizen_id: FromPath[str], data: JSONBody[StaffIn]
    ) -> StaffOut:
        return await staff.assign(ctx, citizen_id, data.departments)

    @delete(
        "/staff/{citizen_id:str}", status_code=204, summary="Platform admin: end a staff assignment"
    )
    async def unassign(self, ctx: Ctx, citizen_id: FromPath[str]) -> None:
        await staff.unassign(ctx, citizen_id)


_START = (ScopeRequired, RealNameRequired)


class ApplicationsController(Controller):
    path = "/applications"

    @post(
        "",
        status_code=201,
        summary="Start an application: what the platform knows is filled in already",
        description="Fields the platform knows (real name, a per-app hash of the ID number) need "
        "the `identity.realname` grant; reusable fields come from the citizen's earlier "
        "applications. `missing` lists what is left.",
        opt={"problems": _START},
    )
    async def start(self, ctx: Ctx, data: JSONBody[StartIn]) -> ApplicationOut:
        return await applications.start(ctx, data.bundle)

    @get("", summary="The citizen's applications and their status")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[ApplicationBrief]:
        from miniapps.services import views

        items, next_cursor = await views.page(ctx.require_citizen(), limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/{application_id:str}",
        summary="One application: its status, steps, fields, what is missing",
    )
    async def one(self, ctx: Ctx, application_id: FromPath[str]) -> ApplicationOut:
        from miniapps.services import views

        return await views.view(ctx, ctx.require_citizen(), application_id)

    @patch(
        "/{application_id:str}/fields",
        summary="Fill the missing fields of a draft",
        opt={"problems": (ApplicationNotDraft,)},
    )
    async def fill(
        self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[FieldsIn]
    ) -> ApplicationOut:
        return await applications.fill(ctx, application_id, data.fields)

    @post(
        "/{application_id:str}/materials",
        status_code=201,
        summary="Attach a material (PDF, PNG or JPEG, at most 512 KiB) to a step",
        opt={"problems": (ApplicationNotDraft, MaterialRejected)},
    )
    async def attach(
        self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[MaterialIn]
    ) -> MaterialOut:
        return await applications.attach(ctx, application_id, data)

    @post(
        "/{application_id:str}/submit",
        status_code=200,
        summary="Submit once: every step goes to its department (needs an Idempotency-Key)",
        opt={"problems": (ApplicationNotDraft, ApplicationIncomplete, *IDEMPOTENCY_PROBLEMS)},
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        application_id: FromPath[str],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ApplicationOut]:
        openid = ctx.require_citizen()

        async def run() -> ApplicationOut:
            return await applications.submit(ctx, application_id)

        return await idempotent(
            request,
            scope=f"miniapp:services:{openid}",
            key=idempotency_key,
            required=True,
            status_code=200,
            run=run,
        )

    @post(
        "/{application_id:str}/steps/{step_code:str}/resubmit",
        status_code=200,
        summary="Answer a department's needs_more: the fields it asked for; the step goes back",
        opt={"problems": (StepNotWaiting, *IDEMPOTENCY_PROBLEMS)},
    )
    async def resubmit(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        application_id: FromPath[str],
        step_code: FromPath[str],
        data: JSONBody[ResubmitIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ApplicationOut]:
        openid = ctx.require_citizen()

        async def run() -> ApplicationOut:
            return await applications.resubmit(ctx, application_id, step_code, data.fields)

        return await idempotent(
            request,
            scope=f"miniapp:services:{openid}",
            key=idempotency_key,
            required=False,
            status_code=200,
            run=run,
        )


class DeskController(Controller):
    """A department's staff: their department's steps, and decisions on them."""

    path = "/desk/steps"
    opt = {"problems": (NotDepartmentStaff,)}

    @get("", summary="Staff: the department's steps (submitted and later), oldest id first")
    async def queue(
        self,
        ctx: Ctx,
        status: FromQuery[StepFilter | None] = None,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[DeskStepOut]:
        items, next_cursor = await desk.queue(ctx, status, limit, cursor)
        return Page(items, next_cursor)

    @get("/{step_id:str}", summary="Staff: a step with only the fields and materials it declares")
    async def one(self, ctx: Ctx, step_id: FromPath[str]) -> DeskStepOut:
        return await desk.read(ctx, step_id)

    @get(
        "/{step_id:str}/materials/{material_id:str}",
        summary="Staff: the file of a material of the step",
        media_type="application/octet-stream",
    )
    async def material(
        self, ctx: Ctx, step_id: FromPath[str], material_id: FromPath[str]
    ) -> Response[bytes]:
        data, content_type = await desk.material(ctx, step_id, material_id)
        return Response(
            data,
            media_type=content_type,
            headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment"},
        )

    @post(
        "/{step_id:str}/decisions",
        status_code=200,
        summary="Staff: accept, ask for more (naming the fields), approve or refuse the step",
        opt={"problems": (NotDepartmentStaff, StepNotWaiting)},
    )
    async def decide(
        self, ctx: Ctx, step_id: FromPath[str], data: JSONBody[DecisionIn]
    ) -> DeskStepOut:
        return await desk.decide(ctx, step_id, data)


router = Router(
    path="/",
    opt={"problems": (Unauthorized, Forbidden)},
    route_handlers=[BundlesController, AdminController, ApplicationsController, DeskController],
)

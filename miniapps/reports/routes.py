"""Reports' HTTP routes, mounted under /api/v1/miniapps/reports.

Citizens report events, follow them and rate the outcome; the region's grid workers (and
platform admins) work the queue; platform admins assign the workers. Every route needs a
citizen's token but the categories.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from miniapps.reports import events, handling, stats, workers
from miniapps.reports.categories import CATEGORIES
from miniapps.reports.errors import (
    AlreadyRated,
    EventClosed,
    EventNotOpen,
    EventNotResolved,
    EventNotTaken,
    InvalidPhoto,
    NotYourEvent,
)
from miniapps.reports.schemas import (
    CategoryOut,
    EventIn,
    EventOut,
    RatingIn,
    ReportOut,
    ResolveIn,
    TransferIn,
    WorkerIn,
    WorkerOut,
)
from miniapps.sdk import (
    IDEMPOTENCY_PROBLEMS,
    REGION_PATTERN,
    TOKEN_OPTIONAL,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    NotFound,
    Page,
    RateLimited,
    Unauthorized,
    idempotent,
)

Ctx = NamedDependency[MiniAppContext]
NO_STORE = {"Cache-Control": "private, no-store"}
# Three photos of 2 MB, in base64, and the text: more than the platform's 2 MB default.
REPORT_MAX_BODY = 9 * 1024 * 1024
Region = Annotated[
    str,
    QueryParameter(
        name="region",
        pattern=REGION_PATTERN,
        description="GB/T 2260 code: 330106 a district, 330100 its city",
    ),
]


@get("/categories", summary="Event categories and their deadlines", security=TOKEN_OPTIONAL)
async def categories() -> list[CategoryOut]:
    return list(CATEGORIES.values())


class EventsController(Controller):
    path = "/events"

    @post(
        "",
        status_code=201,
        summary="Report an event: category, text, region and coordinates, up to three photos",
        description="Photos are JPEG, PNG or WebP of at most 2 MB each (base64), checked by "
        "their content and re-encoded without EXIF (no GPS position is kept). A report of the "
        "same category within 50 m of an event still open (reported in the last 72 hours) is "
        "merged into it (`status: merged`, `merged_into`). At most 10 reports an hour per "
        "citizen. An `Idempotency-Key` is accepted: a retry returns the first answer.",
        opt={"problems": (InvalidPhoto, RateLimited, *IDEMPOTENCY_PROBLEMS)},
        request_max_body_size=REPORT_MAX_BODY,
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        data: JSONBody[EventIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[EventOut]:
        openid = ctx.require_citizen()

        async def run() -> EventOut:
            return await events.report(ctx, data)

        return await idempotent(
            request,
            scope=f"miniapp:reports:{openid}",
            key=idempotency_key,
            required=False,
            status_code=201,
            run=run,
        )

    @get("", summary="The citizen's own reports, newest first")
    async def mine(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[EventOut]:
        items, next_cursor = await events.mine(ctx, limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/{event_id:str}",
        summary="An event with every step: for its reporter and the region's staff",
    )
    async def view(self, ctx: Ctx, event_id: FromPath[str]) -> EventOut:
        return await events.view(ctx, event_id)

    @get(
        "/{event_id:str}/photos/{photo_id:str}",
        media_type="image/jpeg",
        summary="A photo of an event (JPEG, PNG or WebP): its reporter, the region's staff, admins",
    )
    async def photo(
        self, ctx: Ctx, event_id: FromPath[str], photo_id: FromPath[str]
    ) -> Response[bytes]:
        data, content_type = await events.photo(ctx, event_id, photo_id)
        return Response(data, media_type=content_type, headers=NO_STORE)

    @post(
        "/{event_id:str}/rating",
        status_code=200,
        summary="The reporter rates the outcome (1–5), once, after it is resolved",
        opt={"problems": (EventNotResolved, AlreadyRated)},
    )
    async def rate(self, ctx: Ctx, event_id: FromPath[str], data: JSONBody[RatingIn]) -> EventOut:
        return await events.rate(ctx, event_id, data)

    @post(
        "/{event_id:str}/take",
        status_code=200,
        summary="Staff: take an open event from the queue",
        opt={"problems": (EventNotOpen,)},
    )
    async def take(self, ctx: Ctx, event_id: FromPath[str]) -> EventOut:
        return await handling.take(ctx, event_id)

    @post(
        "/{event_id:str}/transfer",
        status_code=200,
        summary="Staff: hand an event to another region's queue, with a note",
        opt={"problems": (EventNotOpen, EventClosed, NotYourEvent)},
    )
    async def transfer(
        self, ctx: Ctx, event_id: FromPath[str], data: JSONBody[TransferIn]
    ) -> EventOut:
        return await handling.transfer(ctx, event_id, data)

    @post(
        "/{event_id:str}/resolve",
        status_code=200,
        summary="Staff: resolve a taken event with a note (its duplicates close with it)",
        opt={"problems": (EventNotTaken, EventClosed, NotYourEvent)},
    )
    async def resolve(
        self, ctx: Ctx, event_id: FromPath[str], data: JSONBody[ResolveIn]
    ) -> EventOut:
        return await handling.resolve(ctx, event_id, data)


class StaffController(Controller):
    path = "/staff"

    @get("/assignments", summary="The caller's own staff assignments (none for a citizen)")
    async def assignments(self, ctx: Ctx) -> WorkerOut:
        return await workers.my_assignments(ctx)

    @get("/queue", summary="Staff: the events of the caller's regions, oldest first")
    async def queue(
        self,
        ctx: Ctx,
        status: FromQuery[Literal["open", "taken"] | None] = None,
        level: FromQuery[Literal["grid", "district"] | None] = None,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[EventOut]:
        items, next_cursor = await handling.queue(ctx, status, level, limit, cursor)
        return Page(items, next_cursor)

    @get(
        "/report",
        summary="Staff: closure rate and median time to close of a region and its districts",
        description="Of the events reported from the local (Asia/Shanghai) day `from` to the "
        "day `to`, both included; all time without them.",
    )
    async def report(
        self,
        ctx: Ctx,
        region: Region,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> ReportOut:
        staff = await handling.require_staff(ctx)
        return await stats.region_report(staff, region, first, last)


class AdminController(Controller):
    path = "/admin/workers"

    @get("", summary="Platform admin: the grid's staff and their regions")
    async def list_workers(
        self, ctx: Ctx, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[WorkerOut]:
        items, next_cursor = await workers.all_workers(ctx, limit, cursor)
        return Page(items, next_cursor)

    @put(
        "/{citizen_id:str}",
        summary="Platform admin: set a citizen's regions as grid worker or district staff",
        description="Replaces the citizen's assignments; an empty list ends them. The citizen "
        "is named by the platform's citizen id (`GET /api/v1/admin/citizens`).",
    )
    async def assign(
        self, ctx: Ctx, citizen_id: FromPath[str], data: JSONBody[WorkerIn]
    ) -> WorkerOut:
        return await workers.assign(ctx, citizen_id, data)


router = Router(
    path="/",
    # Any call may carry a bad token (401), a gate's token or lack a role (403).
    opt={"problems": (Unauthorized, Forbidden, NotFound)},
    route_handlers=[categories, EventsController, StaffController, AdminController],
)

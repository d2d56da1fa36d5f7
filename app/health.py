"""Readiness and liveness probes."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from app.database import fetch
from app.redis import redis_ok


class Health(msgspec.Struct):
    status: str  # ok | degraded | down
    database: str  # ok | unavailable
    queue: str  # ok | unavailable | in_process


class Live(msgspec.Struct):
    status: str


@get(
    "/health",
    tags=["operations"],
    summary="Readiness: database and queue",
    responses={503: ResponseSpec(Health, description="The database is unavailable")},
)
async def readiness() -> Response[Health]:
    try:
        await fetch("SELECT 1 AS one")
        database = "ok"
    except Exception:
        database = "unavailable"
    queue_state = await redis_ok()
    queue = "in_process" if queue_state is None else ("ok" if queue_state else "unavailable")
    if database != "ok":
        return Response(Health("down", database, queue), status_code=503)
    status = "ok" if queue != "unavailable" else "degraded"
    return Response(Health(status, database, queue), status_code=200)


@get("/health/live", tags=["operations"], summary="Liveness: touches nothing")
async def liveness() -> Live:
    return Live("ok")


route_handlers = [readiness, liveness]

"""Thin HTTP controllers for the health code: citizens, gates, health officials, the JWKS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from app.errors import NotFound, ValidationFailed
from app.idempotency import IdempotencyKeyHeader, idempotent
from app.pagination import CursorParam, LimitParam, Page, decode_cursor, encode_cursor
from healthcode import exposure, keys, qr, scans, service, signatures
from healthcode.errors import DeclarationRequired
from healthcode.rules import active_ruleset
from healthcode.schemas import (
    CheckInIn,
    DeclarationIn,
    Exposure,
    ExposureMarked,
    ExposureMarkIn,
    IdCardScanIn,
    OfflineBatchIn,
    OfflineResult,
    OverrideIn,
    RiskRegionOut,
    RiskRegions,
    RiskRegionsIn,
    RuleOut,
    RulesetOut,
    ScanIn,
    ScanOut,
    Status,
)
from identity.auth import (
    CitizenPrincipal,
    GatePrincipal,
    citizen_dependency,
    gate_dependency,
    health_admin_dependency,
)
from identity.errors import RealNameRequired

NO_STORE = {"Cache-Control": "no-store"}


def _verified(citizen: CitizenPrincipal) -> str:
    if not citizen.real_name_verified:
        raise RealNameRequired("Verify your real name to get a health code.")
    return citizen.citizen_id


class HealthCodeController(Controller):
    path = "/api/v1/healthcode"
    tags = ["healthcode"]
    dependencies = citizen_dependency
    opt = {"problems": [RealNameRequired]}

    @post("/declarations", status_code=200, summary="Declare health and travel; get the status")
    async def declare(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[DeclarationIn]
    ) -> Status:
        return await service.declare(_verified(citizen), data)

    @post(
        "/checkins",
        status_code=200,
        summary="Daily check-in (one per Asia/Shanghai day counts)",
        opt={"problems": [DeclarationRequired]},
    )
    async def check_in(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[CheckInIn]
    ) -> Status:
        return await service.check_in(_verified(citizen), data)

    @get(
        "",
        summary="The colour, why, what turns it green, and a fresh code",
        opt={"problems": [DeclarationRequired]},
    )
    async def status(self, citizen: NamedDependency[CitizenPrincipal]) -> Response[Status]:
        return Response(await service.get_status(_verified(citizen)), headers=NO_STORE)

    @get(
        "/qr.png",
        media_type="image/png",
        summary="A QR image of a fresh code, in the code's colour",
        opt={"problems": [DeclarationRequired]},
    )
    async def qr_png(self, citizen: NamedDependency[CitizenPrincipal]) -> Response[bytes]:
        status = await service.get_status(_verified(citizen))
        assert status.code is not None and status.code_expires_at is not None
        return Response(
            qr.png(status.code, status.colour),
            media_type="image/png",
            headers={**NO_STORE, "Code-Expires-At": status.code_expires_at.isoformat()},
        )

    @get(
        "/qr.svg",
        media_type="image/svg+xml",
        summary="An SVG QR image of a fresh code, in the code's colour",
        opt={"problems": [DeclarationRequired]},
    )
    async def qr_svg(self, citizen: NamedDependency[CitizenPrincipal]) -> Response[str]:
        status = await service.get_status(_verified(citizen))
        assert status.code is not None and status.code_expires_at is not None
        return Response(
            qr.svg(status.code, status.colour),
            media_type="image/svg+xml",
            headers={**NO_STORE, "Code-Expires-At": status.code_expires_at.isoformat()},
        )


@get("/api/v1/healthcode/rules", tags=["healthcode"], summary="The colour rules in force")
async def ruleset() -> RulesetOut:
    rules = active_ruleset()
    return RulesetOut(
        version=rules.version,
        description=rules.description,
        rules=[
            RuleOut(r.id, r.version, r.colour, r.reason, r.explanation, r.logic)
            for r in rules.rules
        ],
        days_to_green=dict(rules.streak_days),
    )


@get(
    "/.well-known/jwks.json",
    tags=["healthcode"],
    summary="Public keys that verify codes",
    media_type="application/jwk-set+json",
)
async def jwks() -> Response[dict[str, Any]]:
    return Response(
        await keys.jwks(),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": f"public, max-age={keys.JWKS_MAX_AGE}"},
    )


async def _keyed(
    request: Request[Any, Any, Any],
    gate: GatePrincipal,
    key: str | None,
    run: Callable[[], Awaitable[msgspec.Struct]],
) -> Response[Any]:
    """With an Idempotency-Key, a retry replays the first answer; without, no extra write."""
    if key is None:
        return Response(await run(), status_code=200)
    return await idempotent(
        request, scope=f"gate:{gate.gate_id}", key=key, required=False, status_code=200, run=run
    )


class GateScanController(Controller):
    path = "/api/v1/gate/scans"
    tags = ["gate"]
    dependencies = gate_dependency

    @post("", status_code=200, summary="Scan a code: pass or deny on the holder's colour now")
    async def scan(
        self,
        request: Request[Any, Any, Any],
        gate: NamedDependency[GatePrincipal],
        data: JSONBody[ScanIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ScanOut]:
        return await _keyed(
            request, gate, idempotency_key, lambda: scans.scan_code(gate, data.code)
        )

    @post("/id-card", status_code=200, summary="Sensorless check by resident ID card")
    async def id_card(
        self,
        request: Request[Any, Any, Any],
        gate: NamedDependency[GatePrincipal],
        data: JSONBody[IdCardScanIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ScanOut]:
        return await _keyed(
            request, gate, idempotency_key, lambda: scans.scan_id_card(gate, data.id_number)
        )

    @post("/offline", status_code=200, summary="Upload scans made offline (idempotent by scan_id)")
    async def offline(
        self,
        request: Request[Any, Any, Any],
        gate: NamedDependency[GatePrincipal],
        data: JSONBody[OfflineBatchIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[OfflineResult]:
        return await _keyed(
            request, gate, idempotency_key, lambda: scans.upload_offline(gate, data.scans)
        )


class HealthAdminController(Controller):
    path = "/api/v1/admin"
    tags = ["healthcode admin"]
    dependencies = health_admin_dependency

    @put("/risk-regions", summary="Replace the risk regions; recompute visitors of new ones")
    async def put_risk_regions(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[RiskRegionsIn]
    ) -> RiskRegions:
        return await service.replace_risk_regions(admin.citizen_id, data.regions)

    @get("/risk-regions", summary="The risk regions in force")
    async def get_risk_regions(
        self,
        admin: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[RiskRegionOut]:
        after = decode_cursor(cursor)
        regions = [r for r in await service.risk_regions() if not after or r.code > str(after[0])]
        page = regions[:limit]
        more = len(regions) > limit
        return Page(page, encode_cursor(page[-1].code) if more else None)

    @post(
        "/healthcode/overrides",
        status_code=200,
        summary="Set a citizen's colour (audited)",
        opt={"problems": [NotFound]},
    )
    async def override(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[OverrideIn]
    ) -> Status:
        return await service.override(admin.citizen_id, data.citizen_id, data.colour, data.reason)

    @get("/exposures", summary="Who shared a venue with a citizen, within ±window (audited)")
    async def exposures(
        self,
        admin: NamedDependency[CitizenPrincipal],
        citizen_id: FromQuery[str],
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
        window_minutes: Annotated[int, QueryParameter(ge=1, le=1440)] = 30,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[Exposure]:
        start, end = exposure.window_bounds(start, end)
        items, next_cursor = await exposure.exposure_page(
            admin.citizen_id, citizen_id, start, end, window_minutes, limit, cursor
        )
        return Page(items, next_cursor)

    @post(
        "/exposures/marks",
        status_code=200,
        summary="Mark everyone exposed by a trace rule (close contact red, companion yellow)",
        opt={"problems": [ValidationFailed]},
    )
    async def mark(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[ExposureMarkIn]
    ) -> ExposureMarked:
        start, end = exposure.window_bounds(data.from_, data.to)
        return await exposure.mark_exposed(
            admin.citizen_id, data.citizen_id, start, end, data.window_minutes, data.mark
        )


route_handlers = [
    HealthCodeController,
    ruleset,
    jwks,
    GateScanController,
    HealthAdminController,
]
# The stored keys must open with our keyring; then the code-signature checker process.
on_startup = [keys.check_sealing, signatures.start]
on_shutdown = [signatures.stop]

"""Thin HTTP controllers: the citizen's wallet, entries, statements and repayments, and the
admin credit-limit endpoint. The app-facing `/api/v1/apps/wallet/*` endpoints are served by
the miniapps package on top of `wallet.service`.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from app.idempotency import (
    IdempotencyKeyHeader,
    IdempotencyKeyInUse,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    idempotent,
)
from app.pagination import CursorParam, LimitParam, Page
from identity.auth import CitizenPrincipal, citizen_dependency, platform_admin_dependency
from identity.errors import RealNameRequired
from wallet import service, statements
from wallet.errors import Overpayment, PaymentFailed
from wallet.schemas import CreditLimitRequest, Entry, RepaymentRequest, Statement, Wallet


def _verified(citizen: CitizenPrincipal) -> str:
    if not citizen.real_name_verified:
        raise RealNameRequired("The credit wallet needs real-name verification first.")
    return citizen.citizen_id


class WalletController(Controller):
    path = "/api/v1/wallet"
    tags = ["wallet"]
    dependencies = citizen_dependency
    opt = {"problems": [RealNameRequired]}

    @get("", summary="The citizen's credit wallet")
    async def wallet(self, citizen: NamedDependency[CitizenPrincipal]) -> Wallet:
        return await service.wallet_view(_verified(citizen))

    @get("/entries", summary="Ledger entries, newest first")
    async def entries(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[Entry]:
        items, next_cursor = await service.list_entries(_verified(citizen), limit, cursor)
        return Page(items, next_cursor)

    @get("/statements", summary="Bills grouped by due date, latest due date first")
    async def statements(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[Statement]:
        items, next_cursor = await statements.list_statements(_verified(citizen), limit, cursor)
        return Page(items, next_cursor)

    @post(
        "/repayments",
        status_code=200,
        summary="Repay (Idempotency-Key required); answers the wallet",
        responses={200: ResponseSpec(data_container=Wallet, description="The wallet after it")},
        opt={
            "problems": [
                Overpayment,
                PaymentFailed,
                IdempotencyKeyRequired,
                IdempotencyKeyReused,
                IdempotencyKeyInUse,
            ]
        },
    )
    async def repay(
        self,
        request: Request[Any, Any, Any],
        citizen: NamedDependency[CitizenPrincipal],
        data: JSONBody[RepaymentRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        citizen_id = _verified(citizen)

        async def run() -> Wallet:
            return await service.repay(citizen_id, data.amount)

        return await idempotent(
            request,
            scope=f"citizen:{citizen_id}",
            key=idempotency_key,
            required=True,
            status_code=200,
            run=run,
        )


class AdminWalletController(Controller):
    path = "/api/v1/admin/wallets"
    tags = ["admin", "wallet"]
    dependencies = platform_admin_dependency
    opt = {"problems": [RealNameRequired]}

    @put("/{citizen_id:str}/credit-limit", summary="Set a citizen's credit limit (audited)")
    async def set_credit_limit(
        self,
        admin: NamedDependency[CitizenPrincipal],
        citizen_id: FromPath[str],
        data: JSONBody[CreditLimitRequest],
    ) -> Wallet:
        return await service.set_credit_limit(admin.citizen_id, citizen_id, data.credit_limit)


route_handlers: list[Any] = [WalletController, AdminWalletController]

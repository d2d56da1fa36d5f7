"""Money in a body is a JSON integer: a string, a float or an exponent is refused (422), not
quietly converted (before the fix `"amount": "100"` and `100.0` were repaid and held)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, problem
from tests.miniapps.conftest import connect, keyed, register
from tests.wallet.conftest import WalletFactory

pytestmark = pytest.mark.usefixtures("consistent_ledger")

NOT_INTEGERS: list[Any] = ["100", 100.0, "1e2", "0x64", [100], {"fen": 100}]


class TestStrictAmounts:
    @pytest.mark.parametrize("amount", NOT_INTEGERS)
    async def test_a_repayment_amount_must_be_an_integer(
        self, api: Api, svc: Any, new_wallet: WalletFactory, merchant: str, amount: Any
    ) -> None:
        citizen = await new_wallet(10_000)
        await svc.charge(citizen.id, merchant, 3_000, "")
        response = await api.client.post(
            "/api/v1/wallet/repayments", json={"amount": amount}, headers=keyed(citizen.headers)
        )
        body = problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == ["amount"]
        assert (await svc.wallet_view(citizen.id)).outstanding == 3_000

    async def test_a_hold_amount_must_be_an_integer(self, api: Api, svc: Any) -> None:
        app = await register(api, scopes=["wallet.charge"])
        citizen = await api.citizen()
        headers = await connect(api, app, citizen, ["wallet.charge"])
        for amount in ("100", 100.0):
            response = await api.client.post(
                "/api/v1/apps/wallet/holds",
                json={"amount": amount, "memo": "押金", "expires_in": "3600"},
                headers=keyed(headers),
            )
            problem(response, 422, "validation_error")
        assert (await svc.wallet_view(citizen.id)).held == 0
        good = await api.client.post(
            "/api/v1/apps/wallet/holds",
            json={"amount": 100, "memo": "押金", "expires_in": 3600},
            headers=keyed(headers),
        )
        assert good.status_code == 201, good.text

"""JSON bodies are held to their schema strictly (app.strict_body), after authentication, and
a body nested past the decoder's limit is malformed (400), not an internal error (500)."""

from __future__ import annotations

from litestar.params import JSONBody

from app.strict_body import _strict_type
from healthcode.schemas import ScanIn
from tests.helpers import Api, bearer, problem
from wallet.schemas import RepaymentRequest

REAL_NAME = "/api/v1/me/real-name"


class TestStrictBody:
    async def test_a_string_where_a_number_belongs_is_422_naming_the_field(self, api: Api) -> None:
        citizen = await api.citizen()
        body = {
            "temperature_c": "36.5",
            "symptoms": [],
            "visited_regions": [],
            "close_contact": False,
        }
        response = await api.client.post(
            "/api/v1/healthcode/declarations", json=body, headers=citizen.headers
        )
        problem_body = problem(response, 422, "validation_error")
        assert problem_body["errors"][0]["field"] == "temperature_c"
        assert "Expected `float`" in problem_body["errors"][0]["message"]

    async def test_authentication_still_comes_first(self, api: Api) -> None:
        response = await api.client.post(
            "/api/v1/wallet/repayments", json={"amount": "100"}, headers={"Idempotency-Key": "k"}
        )
        problem(response, 401, "unauthorized")

    async def test_an_integer_for_a_float_and_a_form_body_are_still_accepted(
        self, api: Api
    ) -> None:
        citizen = await api.citizen()
        body = {"temperature_c": 36, "symptoms": [], "visited_regions": [], "close_contact": False}
        response = await api.client.post(
            "/api/v1/healthcode/declarations", json=body, headers=citizen.headers
        )
        assert response.status_code == 200, response.text
        form = await api.client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        )
        problem(form, 401, "invalid_client")  # parsed as a form, then refused on its merits


class TestDeepJson:
    async def test_a_body_nested_too_deeply_is_malformed(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(
            REAL_NAME,
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={**bearer(citizen.access_token), "Content-Type": "application/json"},
        )
        problem(response, 400, "malformed_request")
        me = await api.client.get("/api/v1/me", headers=citizen.headers)
        assert me.json()["real_name_verified"] is False


class TestFastPath:
    def test_bodies_of_strings_skip_the_second_conversion(self) -> None:
        """The gate's `{code}` converts the same laxly and strictly; amounts do not."""
        scan = type("ScanModel", (), {"__annotations__": {"data": JSONBody[ScanIn]}})
        repay = type("RepayModel", (), {"__annotations__": {"data": JSONBody[RepaymentRequest]}})
        assert _strict_type(scan) is None
        assert _strict_type(repay) is not None

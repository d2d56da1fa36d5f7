"""Bearer tokens every protected endpoint must refuse: forged, expired, for another audience."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, bearer, problem
from tests.identity.tokens import forged_variants

# One endpoint per kind of caller check: citizen, any admin, platform admin, citizen + body.
PROTECTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/admin/citizens", None),
    ("GET", "/api/v1/admin/audit", None),
    ("POST", "/api/v1/admin/venues", {"name": "x", "kind": "metro", "region_code": "330106"}),
    ("POST", "/api/v1/auth/logout", {"refresh_token": "rt_x"}),
]
VARIANTS = [
    "expired",
    "tampered",
    "alg_none",
    "hs256_public_key",
    "other_audience",
    "gate_audience",
    "other_issuer",
    "stranger_key",
    "no_expiry",
    "garbage",
]


@pytest.fixture(scope="module")
async def forged(api: Api) -> dict[str, str]:
    """Forgeries of the bootstrap admin's token: any of them accepted would be a breach."""
    admin = await api.admin()
    return forged_variants(admin.access_token)


class TestBearerTokens:
    @pytest.mark.parametrize("variant", VARIANTS)
    @pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
    async def test_forged_tokens_are_refused(
        self,
        api: Api,
        forged: dict[str, str],
        variant: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        response = await api.client.request(
            method, path, json=body, headers=bearer(forged[variant])
        )
        problem(response, 401, "unauthorized")

    async def test_the_genuine_token_is_accepted(self, api: Api) -> None:
        admin = await api.admin()
        for method, path, body in PROTECTED[:3]:
            response = await api.client.request(method, path, json=body, headers=admin.headers)
            assert response.status_code == 200, path

    @pytest.mark.parametrize(
        "header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "token abc", "Bearer a b"]
    )
    async def test_malformed_authorization_headers(self, api: Api, header: str) -> None:
        response = await api.client.get("/api/v1/me", headers={"Authorization": header})
        problem(response, 401, "unauthorized")

    async def test_the_scheme_is_case_insensitive(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.get(
            "/api/v1/me", headers={"Authorization": f"bearer {citizen.access_token}"}
        )
        assert response.status_code == 200

    async def test_errors_do_not_echo_the_token(self, api: Api, forged: dict[str, str]) -> None:
        response = await api.client.get("/api/v1/me", headers=bearer(forged["expired"]))
        assert forged["expired"] not in response.text

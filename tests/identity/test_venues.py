"""Venues and gate devices: creation, revocation and the gate token exchange."""

from __future__ import annotations

from typing import Any

import pytest

from app.database import is_postgres
from app.security import get_keyring
from identity.auth import current_gate
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, problem
from tests.identity.conftest import SettingsOverride

VENUES = "/api/v1/admin/venues"
GATE_TOKEN = "/api/v1/gate/token"


def gates_url(venue_id: str) -> str:
    return f"/api/v1/admin/venues/{venue_id}/gates"


def revoke_url(gate_id: str) -> str:
    return f"/api/v1/admin/gates/{gate_id}/revoke"


class _Connection:
    """The part of a request `identity.auth` reads."""

    def __init__(self, token: str) -> None:
        self.headers = {"authorization": f"Bearer {token}"}


async def gate_accepted(api: Api, token: str) -> bool:
    """Whether the gate dependency (what every gate endpoint runs) accepts this token."""
    from app.errors import Unauthorized

    try:
        await in_app(api.client, current_gate, _Connection(token))
    except Unauthorized:
        return False
    return True


async def _is_postgres() -> bool:
    return is_postgres()


async def count_venues(api: Api) -> int:
    rows = await db_fetch(api.client, "SELECT count(*) AS n FROM venue")
    return int(rows[0]["n"])


class TestCreateVenue:
    async def test_creates_a_venue(self, api: Api) -> None:
        admin = await api.admin()
        body = {
            "name": "西湖景区",
            "kind": "park",
            "region_code": "330106",
            "address": "杭州市西湖区",
        }
        response = await api.client.post(VENUES, json=body, headers=admin.headers)
        assert response.status_code == 201
        venue = response.json()
        assert {k: venue[k] for k in body} == body
        assert venue["admission"] == ["green"]
        assert venue["foreign_codes"] is True
        assert isinstance(venue["id"], str) and venue["created_at"]

    async def test_a_hospital_admits_every_colour(self, api: Api) -> None:
        venue = await api.venue("hospital")
        assert venue["admission"] == ["green", "yellow", "red"]

    async def test_an_explicit_admission_policy(self, api: Api) -> None:
        venue = await api.venue("mall", admission=["yellow", "green"])
        assert venue["admission"] == ["green", "yellow"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"kind": "casino"}, "kind"),
            ({"region_code": "33010"}, "region_code"),
            ({"region_code": "33010a"}, "region_code"),
            ({"name": ""}, "name"),
            ({"admission": ["blue"]}, "admission"),
            ({"admission": []}, "admission"),
            ({"foreign_codes": "no"}, "foreign_codes"),
        ],
    )
    async def test_invalid_fields(self, api: Api, change: dict[str, Any], field: str) -> None:
        admin = await api.admin()
        before = await count_venues(api)
        body = {"name": "测试", "kind": "metro", "region_code": "330106", **change}
        response = await api.client.post(VENUES, json=body, headers=admin.headers)
        errors = problem(response, 422, "validation_error")["errors"]
        assert errors[0]["field"].startswith(field)
        assert await count_venues(api) == before

    async def test_missing_name(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.post(
            VENUES, json={"kind": "metro", "region_code": "330106"}, headers=admin.headers
        )
        assert problem(response, 422, "validation_error")["errors"][0]["field"] == "name"

    async def test_broken_json(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.post(
            VENUES, content=b"{", headers={**admin.headers, "Content-Type": "application/json"}
        )
        problem(response, 400, "malformed_request")

    @pytest.mark.parametrize("role", ["health_admin", "developer", None])
    async def test_only_a_platform_admin(self, api: Api, role: str | None) -> None:
        caller = await (api.with_role(role) if role else api.citizen())
        before = await count_venues(api)
        response = await api.client.post(
            VENUES,
            json={"name": "x", "kind": "metro", "region_code": "330106"},
            headers=caller.headers,
        )
        problem(response, 403, "forbidden")
        assert await count_venues(api) == before

    async def test_without_a_token(self, api: Api) -> None:
        response = await api.client.post(
            VENUES, json={"name": "x", "kind": "metro", "region_code": "330106"}
        )
        problem(response, 401, "unauthorized")

    async def test_a_gate_token_is_refused(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(
            VENUES,
            json={"name": "x", "kind": "metro", "region_code": "330106"},
            headers=gate.headers,
        )
        problem(response, 401, "unauthorized")


class TestCreateGate:
    async def test_creates_a_gate_with_a_secret_shown_once(self, api: Api) -> None:
        admin = await api.admin()
        venue = await api.venue()
        response = await api.client.post(
            gates_url(venue["id"]), json={"name": "东门1号"}, headers=admin.headers
        )
        assert response.status_code == 201
        created = response.json()
        assert created["venue_id"] == venue["id"] and created["name"] == "东门1号"
        assert len(created["device_secret"]) >= 32
        rows = await db_fetch(api.client, "SELECT * FROM gate WHERE id = {}", created["gate_id"])
        assert created["device_secret"] not in str(rows)  # stored only as a hash

    async def test_an_unknown_venue(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.post(
            gates_url("no-such-venue"), json={"name": "x"}, headers=admin.headers
        )
        problem(response, 404, "not_found")

    async def test_a_blank_name(self, api: Api) -> None:
        admin = await api.admin()
        venue = await api.venue()
        response = await api.client.post(
            gates_url(venue["id"]), json={"name": ""}, headers=admin.headers
        )
        assert problem(response, 422, "validation_error")["errors"][0]["field"] == "name"

    async def test_a_health_admin_is_forbidden(self, api: Api) -> None:
        venue = await api.venue()
        caller = await api.with_role("health_admin")
        response = await api.client.post(
            gates_url(venue["id"]), json={"name": "x"}, headers=caller.headers
        )
        problem(response, 403, "forbidden")

    async def test_without_a_token(self, api: Api) -> None:
        venue = await api.venue()
        problem(
            await api.client.post(gates_url(venue["id"]), json={"name": "x"}), 401, "unauthorized"
        )


class TestRevokeGate:
    async def test_kills_the_gate_token_at_once(self, api: Api) -> None:
        admin = await api.admin()
        gate = await api.gate()
        assert await gate_accepted(api, gate.access_token)
        response = await api.client.post(revoke_url(gate.gate_id), headers=admin.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["gate_id"] == gate.gate_id and body["venue_id"] == gate.venue_id
        assert body["revoked_at"]
        assert not await gate_accepted(api, gate.access_token)
        response = await api.client.post(
            GATE_TOKEN, json={"gate_id": gate.gate_id, "device_secret": gate.device_secret}
        )
        problem(response, 401, "invalid_device")

    async def test_other_gates_of_the_venue_keep_working(self, api: Api) -> None:
        admin = await api.admin()
        gate = await api.gate()
        sibling = await api.gate(venue=gate.venue)
        await api.client.post(revoke_url(gate.gate_id), headers=admin.headers)
        assert await gate_accepted(api, sibling.access_token)

    async def test_revoking_twice_keeps_the_first_time(self, api: Api) -> None:
        admin = await api.admin()
        gate = await api.gate()
        first = (await api.client.post(revoke_url(gate.gate_id), headers=admin.headers)).json()
        second = await api.client.post(revoke_url(gate.gate_id), headers=admin.headers)
        assert second.status_code == 200
        assert second.json()["revoked_at"] == first["revoked_at"]

    async def test_an_unknown_gate(self, api: Api) -> None:
        admin = await api.admin()
        problem(
            await api.client.post(revoke_url("no-such-gate"), headers=admin.headers),
            404,
            "not_found",
        )

    async def test_a_citizen_is_forbidden(self, api: Api) -> None:
        gate = await api.gate()
        citizen = await api.citizen()
        response = await api.client.post(revoke_url(gate.gate_id), headers=citizen.headers)
        problem(response, 403, "forbidden")
        assert await gate_accepted(api, gate.access_token)

    async def test_a_gate_cannot_revoke(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(revoke_url(gate.gate_id), headers=gate.headers)
        problem(response, 401, "unauthorized")

    async def test_without_a_token(self, api: Api) -> None:
        gate = await api.gate()
        problem(await api.client.post(revoke_url(gate.gate_id)), 401, "unauthorized")


class TestGateToken:
    async def test_exchanges_the_secret_for_a_gate_token(self, api: Api) -> None:
        gate = await api.gate("hotel")
        response = await api.client.post(
            GATE_TOKEN, json={"gate_id": gate.gate_id, "device_secret": gate.device_secret}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["expires_in"] == 3600
        claims = get_keyring().decode_token(body["access_token"], "gate")
        assert claims["sub"] == gate.gate_id
        assert claims["venue_id"] == gate.venue_id and claims["venue_kind"] == "hotel"
        assert await gate_accepted(api, body["access_token"])

    async def test_wrong_secret(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(
            GATE_TOKEN, json={"gate_id": gate.gate_id, "device_secret": gate.device_secret + "x"}
        )
        problem(response, 401, "invalid_device")

    async def test_secret_of_another_gate(self, api: Api) -> None:
        gate, other = await api.gate(), await api.gate()
        response = await api.client.post(
            GATE_TOKEN, json={"gate_id": gate.gate_id, "device_secret": other.device_secret}
        )
        problem(response, 401, "invalid_device")

    async def test_unknown_gate(self, api: Api) -> None:
        response = await api.client.post(GATE_TOKEN, json={"gate_id": "nope", "device_secret": "x"})
        problem(response, 401, "invalid_device")

    async def test_a_nul_character_is_refused_not_a_crash(self, api: Api) -> None:
        """PostgreSQL cannot store NUL in text: the data error is the client's 422, not a 500."""
        on_postgres = await in_app(api.client, _is_postgres)
        response = await api.client.post(
            GATE_TOKEN, json={"gate_id": "gate\u0000", "device_secret": "x"}
        )
        if on_postgres:
            problem(response, 422, "validation_error")
        else:
            problem(response, 401, "invalid_device")

    async def test_too_many_exchanges_from_one_client(
        self, api: Api, override_settings: SettingsOverride, fresh_limiter: None
    ) -> None:
        gate = await api.gate()  # the first exchange of this (fresh) minute
        override_settings(gate_rate_per_client=2)
        body = {"gate_id": gate.gate_id, "device_secret": gate.device_secret}
        assert (await api.client.post(GATE_TOKEN, json=body)).status_code == 200
        response = await api.client.post(GATE_TOKEN, json=body)
        problem(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "20"

    async def test_missing_secret(self, api: Api) -> None:
        response = await api.client.post(GATE_TOKEN, json={"gate_id": "nope"})
        assert problem(response, 422, "validation_error")["errors"][0]["field"] == "device_secret"

    async def test_a_gate_token_is_not_a_citizen_token(self, api: Api) -> None:
        gate = await api.gate()
        problem(await api.client.get("/api/v1/me", headers=gate.headers), 401, "unauthorized")
        problem(
            await api.client.get("/api/v1/admin/citizens", headers=gate.headers),
            401,
            "unauthorized",
        )

    async def test_a_citizen_token_is_not_a_gate_token(self, api: Api) -> None:
        admin = await api.admin()
        assert not await gate_accepted(api, admin.access_token)

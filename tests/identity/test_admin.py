"""Admin endpoints: citizen look-up, roles, and the audit log of every admin action."""

from __future__ import annotations

from typing import Any

import pytest

from app.pagination import encode_cursor
from tests.helpers import Api, Citizen, problem

CITIZENS = "/api/v1/admin/citizens"
AUDIT = "/api/v1/admin/audit"


def roles_url(citizen_id: str) -> str:
    return f"/api/v1/admin/citizens/{citizen_id}/roles"


async def audit_entries(api: Api, admin: Citizen, limit: int = 200) -> list[dict[str, Any]]:
    """The whole audit log, newest first, page by page."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await api.client.get(AUDIT, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


class TestFindCitizens:
    async def test_finds_a_citizen_by_phone(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.citizen()
        response = await api.client.get(
            CITIZENS, params={"phone": citizen.phone}, headers=admin.headers
        )
        assert response.status_code == 200
        assert response.json() == {
            "items": [
                {
                    "id": citizen.id,
                    "phone_masked": f"{citizen.phone[:3]}****{citizen.phone[7:]}",
                    "name_masked": "张*",
                    "roles": ["citizen"],
                }
            ],
            "next_cursor": None,
        }

    async def test_a_health_admin_may_look_up(self, api: Api) -> None:
        health_admin = await api.with_role("health_admin")
        citizen = await api.login()
        response = await api.client.get(
            CITIZENS, params={"phone": citizen.phone}, headers=health_admin.headers
        )
        assert [item["id"] for item in response.json()["items"]] == [citizen.id]

    async def test_an_unknown_phone_finds_nobody(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.get(
            CITIZENS, params={"phone": "13000000000"}, headers=admin.headers
        )
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_pages_through_everyone(self, api: Api) -> None:
        admin = await api.admin()
        for _ in range(3):
            await api.login()
        first = (await api.client.get(CITIZENS, params={"limit": 2}, headers=admin.headers)).json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        second = (
            await api.client.get(
                CITIZENS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin.headers
            )
        ).json()
        first_ids = {item["id"] for item in first["items"]}
        assert second["items"] and not first_ids & {item["id"] for item in second["items"]}

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "many"}])
    async def test_limit_out_of_range(self, api: Api, params: dict[str, Any]) -> None:
        admin = await api.admin()
        response = await api.client.get(CITIZENS, params=params, headers=admin.headers)
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "limit"

    async def test_a_cursor_this_api_never_made(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.get(CITIZENS, params={"cursor": "%%%"}, headers=admin.headers)
        problem(response, 422, "validation_error")

    async def test_a_citizen_is_forbidden(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(await api.client.get(CITIZENS, headers=citizen.headers), 403, "forbidden")

    async def test_a_developer_is_forbidden(self, api: Api) -> None:
        developer = await api.with_role("developer")
        problem(await api.client.get(CITIZENS, headers=developer.headers), 403, "forbidden")

    async def test_without_a_token(self, api: Api) -> None:
        problem(await api.client.get(CITIZENS), 401, "unauthorized")

    async def test_a_gate_token_is_refused(self, api: Api) -> None:
        gate = await api.gate()
        problem(await api.client.get(CITIZENS, headers=gate.headers), 401, "unauthorized")


class TestSetRoles:
    async def test_grants_roles_that_take_effect_at_once(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.citizen()
        response = await api.client.put(
            roles_url(citizen.id), json={"roles": ["platform_admin"]}, headers=admin.headers
        )
        assert response.status_code == 200
        assert response.json()["roles"] == ["citizen", "platform_admin"]
        assert response.json()["id"] == citizen.id
        # The same access token now opens admin endpoints.
        assert (await api.client.get(AUDIT, headers=citizen.headers)).status_code == 200

    async def test_taking_every_role_away_leaves_citizen(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.with_role("health_admin", "developer")
        response = await api.client.put(
            roles_url(citizen.id), json={"roles": []}, headers=admin.headers
        )
        assert response.json()["roles"] == ["citizen"]
        problem(await api.client.get(CITIZENS, headers=citizen.headers), 403, "forbidden")

    async def test_roles_come_back_in_a_fixed_order_without_duplicates(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.login()
        response = await api.client.put(
            roles_url(citizen.id),
            json={"roles": ["developer", "health_admin", "developer", "citizen"]},
            headers=admin.headers,
        )
        assert response.json()["roles"] == ["citizen", "health_admin", "developer"]

    async def test_an_unknown_role(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.login()
        response = await api.client.put(
            roles_url(citizen.id), json={"roles": ["superuser"]}, headers=admin.headers
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"].startswith("roles")
        me = (await api.client.get("/api/v1/me", headers=citizen.headers)).json()
        assert me["roles"] == ["citizen"]

    async def test_roles_must_be_a_list(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.login()
        response = await api.client.put(
            roles_url(citizen.id), json={"roles": "platform_admin"}, headers=admin.headers
        )
        problem(response, 422, "validation_error")

    async def test_an_unknown_citizen(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.put(
            roles_url("no-such-citizen"), json={"roles": ["developer"]}, headers=admin.headers
        )
        problem(response, 404, "not_found")

    async def test_a_health_admin_is_forbidden(self, api: Api) -> None:
        health_admin = await api.with_role("health_admin")
        response = await api.client.put(
            roles_url(health_admin.id),
            json={"roles": ["platform_admin"]},
            headers=health_admin.headers,
        )
        problem(response, 403, "forbidden")
        me = (await api.client.get("/api/v1/me", headers=health_admin.headers)).json()
        assert "platform_admin" not in me["roles"]

    async def test_a_citizen_is_forbidden(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.put(
            roles_url(citizen.id), json={"roles": ["platform_admin"]}, headers=citizen.headers
        )
        problem(response, 403, "forbidden")

    async def test_without_a_token(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.put(roles_url(citizen.id), json={"roles": ["developer"]})
        problem(response, 401, "unauthorized")


class TestAudit:
    async def test_records_every_admin_action(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.login()
        await api.client.put(
            roles_url(citizen.id), json={"roles": ["developer"]}, headers=admin.headers
        )
        gate = await api.gate("park")
        revoked = await api.client.post(
            f"/api/v1/admin/gates/{gate.gate_id}/revoke", headers=admin.headers
        )
        assert revoked.status_code == 200
        entries = await audit_entries(api, admin)
        mine = {(e["action"], e["target"]) for e in entries if e["actor_id"] == admin.id}
        assert ("citizen.roles", f"citizen:{citizen.id}:citizen,developer") in mine
        assert ("venue.create", f"venue:{gate.venue_id}") in mine
        assert ("gate.create", f"gate:{gate.gate_id}") in mine
        assert ("gate.revoke", f"gate:{gate.gate_id}") in mine
        entry = next(e for e in entries if e["target"] == f"gate:{gate.gate_id}")
        assert entry.keys() == {"id", "actor_id", "action", "target", "created_at"}
        assert entry["created_at"].endswith(("Z", "+00:00"))

    async def test_refused_actions_are_not_recorded(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.login()
        await api.client.put(roles_url(citizen.id), json={"roles": ["root"]}, headers=admin.headers)
        await api.client.put(
            roles_url(citizen.id), json={"roles": ["developer"]}, headers=citizen.headers
        )
        entries = await audit_entries(api, admin)
        assert not [e for e in entries if e["target"].startswith(f"citizen:{citizen.id}")]

    async def test_pages_are_newest_first_and_never_overlap(self, api: Api) -> None:
        admin = await api.admin()
        for _ in range(3):
            await api.venue()
        whole = await audit_entries(api, admin)
        paged = await audit_entries(api, admin, limit=2)
        assert [e["id"] for e in paged] == [e["id"] for e in whole]
        stamps = [e["created_at"] for e in whole]
        assert stamps == sorted(stamps, reverse=True)

    @pytest.mark.parametrize(
        "cursor", [encode_cursor(1), encode_cursor("not a time", "x"), encode_cursor(), "!!"]
    )
    async def test_a_cursor_this_api_never_made(self, api: Api, cursor: str) -> None:
        admin = await api.admin()
        response = await api.client.get(AUDIT, params={"cursor": cursor}, headers=admin.headers)
        if cursor == encode_cursor():  # an empty position is the first page
            assert response.status_code == 200
        else:
            problem(response, 422, "validation_error")

    async def test_a_health_admin_is_forbidden(self, api: Api) -> None:
        health_admin = await api.with_role("health_admin")
        problem(await api.client.get(AUDIT, headers=health_admin.headers), 403, "forbidden")

    async def test_a_citizen_is_forbidden(self, api: Api) -> None:
        citizen = await api.login()
        problem(await api.client.get(AUDIT, headers=citizen.headers), 403, "forbidden")

    async def test_without_a_token(self, api: Api) -> None:
        problem(await api.client.get(AUDIT), 401, "unauthorized")

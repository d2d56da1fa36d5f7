"""GET /api/v1/admin/exposures (contact tracing, audited) and POST .../exposures/marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from healthcode.clock import clock
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.healthcode.test_admin import audit_actions, status_of
from tests.helpers import Api, Citizen, Gate, problem

EXPOSURES = "/api/v1/admin/exposures"


async def scan_at(api: Api, gate: Gate, citizen: Citizen, minutes: int, base: timedelta) -> str:
    clock.offset = base + timedelta(minutes=minutes)
    body = await scan(api, gate, await fresh_code(api, citizen))
    clock.reset()
    scanned_at: str = body["scanned_at"]
    return scanned_at


async def scene(api: Api) -> dict[str, Any]:
    """A case at a venue at T; others at T+10 min (same venue), T+45 min, and at T elsewhere."""
    base = timedelta(days=-2, minutes=-7)
    venue, other_venue = await api.gate("mall"), await api.gate("park")
    case, near, late, away = [(await declared(api))[0] for _ in range(4)]
    at = await scan_at(api, venue, case, 0, base)
    near_at = await scan_at(api, venue, near, 10, base)
    await scan_at(api, venue, late, 45, base)
    await scan_at(api, other_venue, away, 0, base)
    return {
        "case": case,
        "near": near,
        "late": late,
        "away": away,
        "venue": venue,
        "at": at,
        "near_at": near_at,
        "base": base,
    }


def query(citizen_id: str, **extra: Any) -> str:
    return f"{EXPOSURES}?{urlencode({'citizen_id': citizen_id, **extra})}"


class TestExposures:
    async def test_who_shared_the_venue_within_the_window(self, api: Api) -> None:
        s = await scene(api)
        officer = await api.with_role("health_admin")
        response = await api.client.get(query(s["case"].id), headers=officer.headers)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert items == [
            {
                "citizen_id": s["near"].id,
                "venue_id": s["venue"].venue_id,
                "scanned_at": s["near_at"],
                "overlap_at": s["at"],
                "foreign_subject": None,
            }
        ]
        audit = await audit_actions(api)
        assert any(a.startswith(f"healthcode.exposure_query citizen:{s['case'].id}") for a in audit)

    async def test_a_wider_window_and_pages(self, api: Api) -> None:
        s = await scene(api)
        admin = await api.admin()
        first = await api.client.get(
            query(s["case"].id, window_minutes=60, limit=1), headers=admin.headers
        )
        page = first.json()
        assert [i["citizen_id"] for i in page["items"]] == [s["near"].id]
        second = await api.client.get(
            query(s["case"].id, window_minutes=60, limit=1, cursor=page["next_cursor"]),
            headers=admin.headers,
        )
        assert [i["citizen_id"] for i in second.json()["items"]] == [s["late"].id]
        assert second.json()["next_cursor"] is None

    async def test_from_and_to_bound_the_citizen_s_scans(self, api: Api) -> None:
        s = await scene(api)
        admin = await api.admin()
        before = datetime.now(UTC) + s["base"] - timedelta(hours=1)
        response = await api.client.get(
            query(
                s["case"].id,
                **{"from": before.isoformat(), "to": (before + timedelta(minutes=30)).isoformat()},
            ),
            headers=admin.headers,
        )
        assert response.json()["items"] == []

    @pytest.mark.parametrize(
        "extra",
        [
            {"window_minutes": 0},
            {"window_minutes": "x"},
            {"from": "yesterday"},
            {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            {"cursor": "!!"},
        ],
    )
    async def test_bad_input_422(self, api: Api, extra: dict[str, Any]) -> None:
        admin = await api.admin()
        response = await api.client.get(query(admin.id, **extra), headers=admin.headers)
        problem(response, 422, "validation_error")

    async def test_missing_citizen_id_422(self, api: Api) -> None:
        admin = await api.admin()
        problem(await api.client.get(EXPOSURES, headers=admin.headers), 422, "validation_error")

    async def test_only_health_admins(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(await api.client.get(query(citizen.id)), 401, "unauthorized")
        response = await api.client.get(query(citizen.id), headers=citizen.headers)
        problem(response, 403, "forbidden")
        platform = await api.with_role("platform_admin")
        response = await api.client.get(query(citizen.id), headers=platform.headers)
        problem(response, 403, "forbidden")


class TestMarks:
    async def test_everyone_exposed_is_marked_by_the_trace_rule(self, api: Api) -> None:
        s = await scene(api)
        admin = await api.admin()
        since = (datetime.now(UTC) + s["base"] - timedelta(hours=1)).isoformat()
        response = await api.client.post(
            f"{EXPOSURES}/marks",
            json={"citizen_id": s["case"].id, "from": since, "mark": "companion"},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"marked": 1, "rule_id": "HC-Y04"}
        near = await status_of(api, s["near"])
        assert (near["colour"], near["rule_id"]) == ("yellow", "HC-Y04")
        assert (await status_of(api, s["late"]))["colour"] == "green"
        audit = await audit_actions(api)
        assert f"healthcode.exposure_mark citizen:{s['case'].id}:companion" in audit

    async def test_bad_input_and_refused_callers(self, api: Api) -> None:
        admin = await api.admin()
        citizen = await api.citizen()
        body = {"citizen_id": citizen.id, "from": "2026-01-01T00:00:00Z", "mark": "friend"}
        response = await api.client.post(f"{EXPOSURES}/marks", json=body, headers=admin.headers)
        problem(response, 422, "validation_error")
        body["mark"] = "close_contact"
        response = await api.client.post(f"{EXPOSURES}/marks", json=body, headers=citizen.headers)
        problem(response, 403, "forbidden")

"""Health officials: overrides and risk regions (both audited), and the events they cause."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from app.jobs import get_runner
from healthcode.clock import clock
from tests.app.portal import db_fetch, in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api, Citizen, problem

OVERRIDES = "/api/v1/admin/healthcode/overrides"
REGIONS = "/api/v1/admin/risk-regions"


async def audit_actions(api: Api) -> list[str]:
    admin = await api.admin()
    response = await api.client.get("/api/v1/admin/audit?limit=200", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [f"{e['action']} {e['target']}" for e in response.json()["items"]]


async def colour_events(api: Api, citizen_id: str) -> list[dict[str, Any]]:
    rows = await db_fetch(
        api.client,
        "SELECT data FROM outbox_event WHERE citizen_id = {} AND kind = {}",
        citizen_id,
        "healthcode.colour_changed",
    )
    return [json.loads(r["data"]) for r in rows]


async def status_of(api: Api, citizen: Citizen) -> dict[str, Any]:
    response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestOverrides:
    async def test_an_override_sets_the_colour_audited_and_announced(self, api: Api) -> None:
        citizen, _ = await declared(api)
        officer = await api.with_role("health_admin")
        response = await api.client.post(
            OVERRIDES,
            json={"citizen_id": citizen.id, "colour": "red", "reason": "确诊病例"},
            headers=officer.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["colour"], body["rule_id"], body["reason"]) == ("red", "HC-O01", "确诊病例")
        assert body["code"] is None and body["code_expires_at"] is None
        assert body["checkins_remaining"] == 14
        assert f"healthcode.override citizen:{citizen.id}:red" in await audit_actions(api)
        assert await colour_events(api, citizen.id) == [
            {"colour": "red", "previous": "green", "rule_id": "HC-O01"}
        ]
        lowered = await api.client.post(
            OVERRIDES,
            json={"citizen_id": citizen.id, "colour": "green", "reason": "核酸阴性"},
            headers=officer.headers,
        )
        assert lowered.json()["colour"] == "green"
        assert (await status_of(api, citizen))["colour"] == "green"

    async def test_an_unknown_citizen_is_404(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.post(
            OVERRIDES,
            json={"citizen_id": "no-such-citizen", "colour": "red", "reason": "x"},
            headers=admin.headers,
        )
        problem(response, 404, "not_found")

    @pytest.mark.parametrize(
        "body",
        [
            {"colour": "purple", "reason": "x"},
            {"colour": "red", "reason": ""},
            {"colour": "red", "reason": "   "},
            {"colour": "red"},
        ],
    )
    async def test_bad_input_422(self, api: Api, body: dict[str, Any]) -> None:
        citizen, _ = await declared(api)
        admin = await api.admin()
        response = await api.client.post(
            OVERRIDES, json={"citizen_id": citizen.id, **body}, headers=admin.headers
        )
        problem(response, 422, "validation_error")
        assert (await status_of(api, citizen))["colour"] == "green"

    async def test_only_health_admins(self, api: Api) -> None:
        citizen, _ = await declared(api)
        body = {"citizen_id": citizen.id, "colour": "red", "reason": "x"}
        problem(await api.client.post(OVERRIDES, json=body), 401, "unauthorized")
        problem(
            await api.client.post(OVERRIDES, json=body, headers=citizen.headers), 403, "forbidden"
        )
        platform = await api.with_role("platform_admin")
        response = await api.client.post(OVERRIDES, json=body, headers=platform.headers)
        problem(response, 403, "forbidden")
        gate = await api.gate()
        problem(
            await api.client.post(OVERRIDES, json=body, headers=gate.headers), 401, "unauthorized"
        )


async def put_regions(api: Api, regions: list[dict[str, str]]) -> dict[str, Any]:
    admin = await api.admin()
    response = await api.client.put(REGIONS, json={"regions": regions}, headers=admin.headers)
    assert response.status_code == 200, response.text
    await in_app(api.client, get_runner().drain)  # type: ignore[attr-defined]
    body: dict[str, Any] = response.json()
    return body


class TestRiskRegions:
    async def test_a_newly_risky_region_recomputes_its_visitors(self, api: Api) -> None:
        await put_regions(api, [])
        visitor, _ = await declared(api, visited_regions=["420106"])
        cousin, _ = await declared(api, visited_regions=["420111"])
        elsewhere, _ = await declared(api, visited_regions=["330106"])
        body = await put_regions(api, [{"code": "420100", "level": "high"}])
        assert body["recomputing"] == ["420100"]
        assert [r["code"] for r in body["regions"]] == ["420100"]
        for citizen in (visitor, cousin):
            status = await status_of(api, citizen)
            assert (status["colour"], status["rule_id"]) == ("red", "HC-R02")
        assert (await status_of(api, elsewhere))["colour"] == "green"
        events = await db_fetch(
            api.client, "SELECT kind FROM hc_event WHERE citizen_id = {}", visitor.id
        )
        assert [e["kind"] for e in events] == ["region"]
        assert any(a.startswith("healthcode.risk_regions") for a in await audit_actions(api))
        await put_regions(api, [])

    async def test_a_visit_more_than_14_days_ago_does_not_count(self, api: Api) -> None:
        await put_regions(api, [])
        clock.advance(timedelta(days=-15))
        old, _ = await declared(api, visited_regions=["510104"])
        clock.reset()
        await put_regions(api, [{"code": "510000", "level": "medium"}])
        assert (await status_of(api, old))["colour"] == "green"
        await put_regions(api, [])

    async def test_a_declaration_checks_the_listed_regions_by_prefix(self, api: Api) -> None:
        await put_regions(api, [{"code": "440300", "level": "medium"}])
        _, status = await declared(api, visited_regions=["440305"])
        assert (status["colour"], status["rule_id"]) == ("yellow", "HC-Y03")
        _, status = await declared(api, visited_regions=["440100"])
        assert status["colour"] == "green"
        body = await put_regions(api, [{"code": "440300", "level": "medium"}])
        assert body["recomputing"] == []  # unchanged: nobody is recomputed twice
        await put_regions(api, [])

    async def test_the_list_in_force(self, api: Api) -> None:
        await put_regions(
            api, [{"code": "310000", "level": "high"}, {"code": "320100", "level": "medium"}]
        )
        admin = await api.admin()
        response = await api.client.get(f"{REGIONS}?limit=1", headers=admin.headers)
        assert response.status_code == 200
        page = response.json()
        assert [r["code"] for r in page["items"]] == ["310000"]
        second = await api.client.get(
            f"{REGIONS}?limit=1&cursor={page['next_cursor']}", headers=admin.headers
        )
        assert [r["code"] for r in second.json()["items"]] == ["320100"]
        await put_regions(api, [])

    @pytest.mark.parametrize(
        "regions",
        [
            [{"code": "4201", "level": "high"}],
            [{"code": "420100", "level": "extreme"}],
            [{"code": "420100", "level": "high"}, {"code": "420100", "level": "medium"}],
            [{"code": "020100", "level": "high"}],
        ],
    )
    async def test_bad_input_422_changes_nothing(
        self, api: Api, regions: list[dict[str, str]]
    ) -> None:
        await put_regions(api, [{"code": "350100", "level": "medium"}])
        admin = await api.admin()
        response = await api.client.put(REGIONS, json={"regions": regions}, headers=admin.headers)
        problem(response, 422, "validation_error")
        listed = await api.client.get(REGIONS, headers=admin.headers)
        assert [r["code"] for r in listed.json()["items"]] == ["350100"]
        await put_regions(api, [])

    async def test_only_health_admins(self, api: Api) -> None:
        citizen = await api.citizen()
        body: dict[str, Any] = {"regions": []}
        problem(await api.client.put(REGIONS, json=body), 401, "unauthorized")
        problem(await api.client.put(REGIONS, json=body, headers=citizen.headers), 403, "forbidden")
        problem(await api.client.get(REGIONS, headers=citizen.headers), 403, "forbidden")


class TestColourNow:
    async def test_a_region_listed_after_the_code_was_issued_denies_it(self, api: Api) -> None:
        await put_regions(api, [])
        citizen, _ = await declared(api, visited_regions=["610113"])
        gate = await api.gate()
        code = await fresh_code(api, citizen)
        await put_regions(api, [{"code": "610100", "level": "high"}])
        assert (await scan(api, gate, code))["reason"] == "colour_red"
        await put_regions(api, [])

"""POST /api/v1/healthcode/declarations and GET /api/v1/healthcode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.healthcode.conftest import HEALTHY, declared
from tests.helpers import Api, problem

DECLARE = "/api/v1/healthcode/declarations"


class TestDeclare:
    async def test_a_healthy_declaration_is_green_with_a_code(self, api: Api) -> None:
        _, status = await declared(api)
        assert status["colour"] == "green"
        assert status["rule_id"] == "HC-G01"
        assert status["reason"]
        assert status["checkins_remaining"] == 0
        assert status["code"].startswith("CB1:")
        assert status["code_expires_at"] > status["since"]

    @pytest.mark.parametrize(
        ("declaration", "colour", "rule_id", "days"),
        [
            ({"symptoms": ["cough"]}, "yellow", "HC-Y02", 7),
            ({"temperature_c": 37.3}, "yellow", "HC-Y01", 7),
            ({"close_contact": True}, "red", "HC-R01", 14),
            (
                {"close_contact": True, "temperature_c": 38.5, "symptoms": ["fever"]},
                "red",
                "HC-R01",
                14,
            ),
        ],
    )
    async def test_the_worst_active_cause_sets_the_colour(
        self, api: Api, declaration: dict[str, Any], colour: str, rule_id: str, days: int
    ) -> None:
        _, status = await declared(api, **declaration)
        assert (status["colour"], status["rule_id"]) == (colour, rule_id)
        assert status["checkins_remaining"] == days

    async def test_a_declaration_only_raises(self, api: Api) -> None:
        citizen, status = await declared(api, close_contact=True)
        again = await api.client.post(DECLARE, json=HEALTHY, headers=citizen.headers)
        assert again.status_code == 200
        assert (again.json()["colour"], again.json()["rule_id"]) == ("red", "HC-R01")
        assert again.json()["since"] == status["since"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("temperature_c", 33.9),
            ("temperature_c", 43.1),
            ("temperature_c", "hot"),
            ("temperature_c", "36.5"),  # a number in a string: not converted
            ("close_contact", "false"),
            ("symptoms", ["sneezing"]),
            ("visited_regions", ["33010"]),
            ("visited_regions", ["hangzh"]),
            ("close_contact", "yes"),
        ],
    )
    async def test_bad_input_is_422_and_writes_nothing(
        self, api: Api, field: str, value: Any
    ) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            DECLARE, json={**HEALTHY, field: value}, headers=citizen.headers
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"]
        status = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        problem(status, 409, "declaration_required")

    async def test_malformed_json_is_400(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            DECLARE,
            content=b"{not json",
            headers={**citizen.headers, "Content-Type": "application/json"},
        )
        problem(response, 400, "malformed_request")

    async def test_without_real_name_there_is_no_code(self, api: Api) -> None:
        citizen = await api.citizen(verified=False)
        response = await api.client.post(DECLARE, json=HEALTHY, headers=citizen.headers)
        problem(response, 403, "real_name_required")

    async def test_callers_who_are_not_citizens_are_refused(self, api: Api) -> None:
        problem(await api.client.post(DECLARE, json=HEALTHY), 401, "unauthorized")
        gate = await api.gate()
        problem(
            await api.client.post(DECLARE, json=HEALTHY, headers=gate.headers), 401, "unauthorized"
        )


class TestStatus:
    async def test_a_fresh_code_each_time(self, api: Api) -> None:
        citizen, status = await declared(api)
        response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        again = response.json()
        assert set(again) == {
            "colour",
            "reason",
            "rule_id",
            "since",
            "checkins_remaining",
            "code",
            "code_expires_at",
        }
        assert again["code"] != status["code"]
        assert (again["colour"], again["since"]) == (status["colour"], status["since"])

    async def test_before_any_declaration_409(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        problem(response, 409, "declaration_required")

    async def test_without_real_name_403(self, api: Api) -> None:
        citizen = await api.citizen(verified=False)
        response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        problem(response, 403, "real_name_required")

    async def test_callers_who_are_not_citizens_are_refused(self, api: Api) -> None:
        problem(await api.client.get("/api/v1/healthcode"), 401, "unauthorized")
        gate = await api.gate()
        response = await api.client.get("/api/v1/healthcode", headers=gate.headers)
        problem(response, 401, "unauthorized")


class TestRules:
    async def test_the_rules_in_force_are_public(self, api: Api) -> None:
        response = await api.client.get("/api/v1/healthcode/rules")
        assert response.status_code == 200
        body = response.json()
        assert body["days_to_green"] == {"red": 14, "yellow": 7}
        assert {r["id"] for r in body["rules"]} >= {"HC-R01", "HC-R02", "HC-Y01", "HC-Y02"}
        assert all(r["explanation"] for r in body["rules"])

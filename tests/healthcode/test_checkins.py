"""POST /api/v1/healthcode/checkins: daily check-ins and the streaks that turn a code green."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from healthcode.clock import clock
from tests.healthcode.conftest import declared
from tests.helpers import Api, Citizen, problem

CHECKIN = "/api/v1/healthcode/checkins"
NORMAL = {"temperature_c": 36.5, "symptoms": []}


async def check_in(api: Api, citizen: Citizen, **body: Any) -> dict[str, Any]:
    response = await api.client.post(CHECKIN, json={**NORMAL, **body}, headers=citizen.headers)
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


class TestCheckIn:
    async def test_yellow_turns_green_after_seven_normal_days(self, api: Api) -> None:
        citizen, status = await declared(api, symptoms=["cough"])
        assert status["checkins_remaining"] == 7
        for remaining in range(6, 0, -1):
            clock.advance(timedelta(days=1))
            status = await check_in(api, citizen)
            assert (status["colour"], status["checkins_remaining"]) == ("yellow", remaining)
        clock.advance(timedelta(days=1))
        status = await check_in(api, citizen)
        assert (status["colour"], status["rule_id"], status["checkins_remaining"]) == (
            "green",
            "HC-G02",
            0,
        )
        assert status["code"]

    async def test_only_one_check_in_a_day_counts(self, api: Api) -> None:
        citizen, _ = await declared(api, symptoms=["fatigue"])
        clock.advance(timedelta(days=1))
        assert (await check_in(api, citizen))["checkins_remaining"] == 6
        assert (await check_in(api, citizen))["checkins_remaining"] == 6

    async def test_a_missed_day_restarts_the_count(self, api: Api) -> None:
        citizen, _ = await declared(api, temperature_c=38.0)
        for _ in range(3):
            clock.advance(timedelta(days=1))
            await check_in(api, citizen)
        clock.advance(timedelta(days=2))
        status = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        assert status.json()["checkins_remaining"] == 7
        assert (await check_in(api, citizen))["checkins_remaining"] == 6

    async def test_an_abnormal_check_in_raises_and_restarts(self, api: Api) -> None:
        citizen, _ = await declared(api)
        status = await check_in(api, citizen, temperature_c=37.8)
        assert (status["colour"], status["rule_id"], status["checkins_remaining"]) == (
            "yellow",
            "HC-Y01",
            7,
        )
        clock.advance(timedelta(days=1))
        assert (await check_in(api, citizen))["checkins_remaining"] == 6
        clock.advance(timedelta(days=1))
        status = await check_in(api, citizen, symptoms=["sore_throat"])
        assert (status["colour"], status["checkins_remaining"]) == ("yellow", 7)

    async def test_normal_check_ins_keep_green_green(self, api: Api) -> None:
        citizen, _ = await declared(api)
        status = await check_in(api, citizen)
        assert (status["colour"], status["checkins_remaining"]) == ("green", 0)

    async def test_before_any_declaration_409(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.post(CHECKIN, json=NORMAL, headers=citizen.headers)
        problem(response, 409, "declaration_required")

    @pytest.mark.parametrize("body", [{"temperature_c": 44}, {"symptoms": ["sneezing"]}, {}])
    async def test_bad_input_422(self, api: Api, body: dict[str, Any]) -> None:
        citizen, _ = await declared(api)
        payload = {**NORMAL, **body} if body else {}
        response = await api.client.post(CHECKIN, json=payload, headers=citizen.headers)
        problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api) -> None:
        problem(await api.client.post(CHECKIN, json=NORMAL), 401, "unauthorized")
        unverified = await api.citizen(verified=False)
        response = await api.client.post(CHECKIN, json=NORMAL, headers=unverified.headers)
        problem(response, 403, "real_name_required")
        gate = await api.gate()
        problem(
            await api.client.post(CHECKIN, json=NORMAL, headers=gate.headers), 401, "unauthorized"
        )

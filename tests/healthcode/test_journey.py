"""The whole journey of issue 3, over HTTP: register → declare → green → gate pass →
health_admin override to red → the old code is denied → 14 daily check-ins (an injected
clock, not real days) → green again."""

from __future__ import annotations

from datetime import timedelta

from healthcode.clock import clock
from tests.healthcode.conftest import HEALTHY, scan
from tests.helpers import Api


async def test_red_and_back_to_green(api: Api) -> None:
    citizen = await api.citizen(name="王小明")
    response = await api.client.post(
        "/api/v1/healthcode/declarations", json=HEALTHY, headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["colour"] == "green"

    gate = await api.gate("metro")
    entry = await scan(api, gate, status["code"])
    assert (entry["result"], entry["colour"], entry["name_masked"]) == ("pass", "green", "王**")

    officer = await api.with_role("health_admin")
    response = await api.client.post(
        "/api/v1/admin/healthcode/overrides",
        json={"citizen_id": citizen.id, "colour": "red", "reason": "密切接触者"},
        headers=officer.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["colour"] == "red"

    red = (await api.client.get("/api/v1/healthcode", headers=citizen.headers)).json()
    assert (red["colour"], red["checkins_remaining"]) == ("red", 14)
    denied = await scan(api, gate, status["code"])
    assert (denied["result"], denied["reason"]) == ("deny", "colour_red")

    for day in range(1, 15):
        clock.advance(timedelta(days=1))
        response = await api.client.post(
            "/api/v1/healthcode/checkins",
            json={"temperature_c": 36.4, "symptoms": []},
            headers=citizen.headers,
        )
        assert response.status_code == 200, response.text
        checked = response.json()
        if day < 14:
            assert (checked["colour"], checked["checkins_remaining"]) == ("red", 14 - day)
            assert (await scan(api, gate, checked["code"]))["reason"] == "colour_red"
    assert (checked["colour"], checked["rule_id"], checked["checkins_remaining"]) == (
        "green",
        "HC-G02",
        0,
    )
    again = await scan(api, gate, checked["code"])
    assert (again["result"], again["colour"]) == ("pass", "green")

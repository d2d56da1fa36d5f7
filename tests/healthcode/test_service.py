"""What other domains call: `current_colour`, `resolve_code`; and the demo loader."""

from __future__ import annotations

from datetime import timedelta

from healthcode import demo, service
from healthcode.clock import clock
from tests.app.portal import in_app
from tests.healthcode.conftest import declared, fresh_code
from tests.helpers import Api


class TestForOtherDomains:
    async def test_current_colour(self, api: Api) -> None:
        citizen, _ = await declared(api, symptoms=["cough"])
        assert await in_app(api.client, service.current_colour, citizen.id) == "yellow"
        never = await api.citizen()
        assert await in_app(api.client, service.current_colour, never.id) is None

    async def test_resolve_code_checks_like_a_gate_without_a_record(self, api: Api) -> None:
        citizen, _ = await declared(api)
        code = await fresh_code(api, citizen)
        check = await in_app(api.client, service.resolve_code, code)
        assert (check.citizen_id, check.colour_now, check.deny_reason) == (
            citizen.id,
            "green",
            None,
        )
        assert (
            await in_app(api.client, service.resolve_code, "CB1:x")
        ).deny_reason == "code_invalid"
        clock.advance(timedelta(minutes=2))
        expired = await in_app(api.client, service.resolve_code, code)
        assert (expired.citizen_id, expired.deny_reason) == (None, "code_expired")


class TestDemo:
    async def test_demo_citizens_get_a_green_code(self, api: Api) -> None:
        citizen = await api.citizen()
        await in_app(api.client, demo.seed, {"citizens": [citizen.id]})
        await in_app(api.client, demo.seed, {"citizens": [citizen.id]})  # idempotent
        response = await api.client.get("/api/v1/healthcode", headers=citizen.headers)
        assert response.json()["colour"] == "green"

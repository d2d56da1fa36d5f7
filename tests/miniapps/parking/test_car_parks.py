"""Car parks: the venue's device sets the tariff; anyone reads it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, Gate, problem
from tests.miniapps.parking.drivers import BASE, TARIFF, car_park


class TestConfigureCarPark:
    async def test_the_device_creates_then_updates_its_car_park(self, api: Api) -> None:
        gate = await api.gate("mall")
        created = await api.client.put(f"{BASE}/device/car-park", json=TARIFF, headers=gate.headers)
        assert created.status_code == 200, created.text
        body = created.json()
        assert body["id"] == gate.venue_id
        assert {k: body[k] for k in TARIFF} == TARIFF

        cheaper = {**TARIFF, "hourly_amount": 300, "daily_cap_amount": 2000}
        updated = await api.client.put(
            f"{BASE}/device/car-park", json=cheaper, headers=gate.headers
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["hourly_amount"] == 300
        assert updated.json()["id"] == gate.venue_id

    async def test_a_gate_of_an_other_kind_venue_is_a_device_too(self, api: Api) -> None:
        gate = await api.gate("other")
        response = await api.client.put(
            f"{BASE}/device/car-park", json=TARIFF, headers=gate.headers
        )
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"daily_cap_amount": 100}, "daily_cap_amount"),
            ({"free_minutes": -1}, "free_minutes"),
            ({"hourly_amount": 1.5}, "hourly_amount"),
            ({"name": ""}, "name"),
            ({"colour": "red"}, None),
        ],
    )
    async def test_bad_tariffs_are_refused(
        self, api: Api, park: Gate, change: dict[str, Any], field: str | None
    ) -> None:
        response = await api.client.put(
            f"{BASE}/device/car-park", json={**TARIFF, **change}, headers=park.headers
        )
        body = problem(response, 422, "validation_error")
        if field is not None:
            assert field in str(body.get("errors")) + body["detail"]
        unchanged = await api.client.get(f"{BASE}/car-parks/{park.venue_id}")
        assert unchanged.json()["hourly_amount"] == TARIFF["hourly_amount"]

    async def test_a_citizen_is_not_a_device(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.put(
            f"{BASE}/device/car-park", json=TARIFF, headers=citizen.headers
        )
        problem(response, 403, "forbidden")

    async def test_a_gate_of_a_metro_station_is_refused(self, api: Api) -> None:
        gate = await api.gate("metro")
        response = await api.client.put(
            f"{BASE}/device/car-park", json=TARIFF, headers=gate.headers
        )
        problem(response, 403, "forbidden")

    async def test_no_token_is_refused(self, api: Api) -> None:
        response = await api.client.put(f"{BASE}/device/car-park", json=TARIFF)
        problem(response, 401, "unauthorized")


class TestCarParks:
    async def test_anyone_lists_car_parks_page_by_page(self, api: Api) -> None:
        mine = {(await car_park(api)).venue_id for _ in range(3)}
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            response = await api.client.get(f"{BASE}/car-parks", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert mine <= set(seen)
        assert len(seen) == len(set(seen))

    async def test_one_car_park(self, api: Api, park: Gate) -> None:
        response = await api.client.get(f"{BASE}/car-parks/{park.venue_id}")
        assert response.status_code == 200, response.text
        assert response.json()["daily_cap_amount"] == TARIFF["daily_cap_amount"]

    async def test_an_unknown_car_park_is_404(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/car-parks/nope"), 404, "not_found")

    async def test_a_forged_cursor_is_422(self, api: Api) -> None:
        response = await api.client.get(f"{BASE}/car-parks", params={"cursor": "bm9wZQ"})
        problem(response, 422, "validation_error")

    async def test_a_limit_out_of_range_is_422(self, api: Api) -> None:
        response = await api.client.get(f"{BASE}/car-parks", params={"limit": 0})
        problem(response, 422, "validation_error")

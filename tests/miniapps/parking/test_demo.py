"""The demo seed: the demo mall gets a car park, and seeding again changes nothing."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.parking.drivers import BASE


async def test_the_demo_mall_gets_a_car_park_once(api: Api) -> None:
    from miniapps.parking.demo import DEMO_TARIFF, seed

    mall = await api.venue("mall")
    for _ in range(2):
        await in_app(api.client, seed, {"venues": {"mall": mall["id"]}})
    response = await api.client.get(f"{BASE}/car-parks/{mall['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["daily_cap_amount"] == DEMO_TARIFF.daily_cap_amount


async def test_no_demo_mall_no_car_park(api: Api) -> None:
    from miniapps.parking.demo import seed

    await in_app(api.client, seed, {})

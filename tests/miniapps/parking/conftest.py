"""Parking fixtures: a stopped parking clock, a car park, a driver with a bound plate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import Api, Citizen, Gate
from tests.miniapps.parking.drivers import ParkingClock, car_park, driver, parking_time


@pytest.fixture
def clock() -> Iterator[ParkingClock]:
    with parking_time() as stopped:
        yield stopped


@pytest.fixture
async def park(api: Api) -> Gate:
    """A mall's car park (15 free minutes, 5 CNY an hour, 40 CNY a day); its entry barrier."""
    return await car_park(api)


@pytest.fixture
async def motorist(api: Api) -> tuple[Citizen, str]:
    return await driver(api)

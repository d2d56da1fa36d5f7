"""Rental fixtures: a stopped rental clock, a real-name landlord with a home, a tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import Api, Citizen
from tests.miniapps.rental.people import RentalClock, landlord, list_home, rental_time, tenant


@pytest.fixture
def clock() -> Iterator[RentalClock]:
    with rental_time() as stopped:
        yield stopped


@pytest.fixture
async def owner(api: Api) -> Citizen:
    return await landlord(api)


@pytest.fixture
async def home(api: Api, owner: Citizen) -> dict[str, Any]:
    return await list_home(api, owner)


@pytest.fixture
async def renter(api: Api) -> Citizen:
    return await tenant(api)

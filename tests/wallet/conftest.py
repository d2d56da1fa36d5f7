"""Wallet fixtures: citizens with a known credit limit, a movable wallet clock, a merchant,
and `svc` / `jobs` / `on_app`, which run wallet code on the app's own event loop (where its
database connections live; see tests/app/portal.py)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.app.portal import in_app
from tests.clocks import local_noon
from tests.helpers import Api, Citizen
from tests.wallet import checks
from wallet import clock, service, tasks

OnApp = Callable[..., Awaitable[Any]]


class AppSide:
    """`await svc.create_hold(...)` runs `wallet.service.create_hold(...)` on the app's loop."""

    def __init__(self, client: AsyncTestClient, module: ModuleType) -> None:  # type: ignore[type-arg]
        self._client = client
        self._module = module

    def __getattr__(self, name: str) -> OnApp:
        return functools.partial(in_app, self._client, getattr(self._module, name))


@pytest.fixture
def on_app(client: AsyncTestClient) -> OnApp:  # type: ignore[type-arg]
    return functools.partial(in_app, client)


@pytest.fixture
def svc(client: AsyncTestClient) -> Any:  # type: ignore[type-arg]
    return AppSide(client, service)


@pytest.fixture
def jobs(client: AsyncTestClient) -> Any:  # type: ignore[type-arg]
    return AppSide(client, tasks)


@pytest.fixture
def check(client: AsyncTestClient) -> Any:  # type: ignore[type-arg]
    return AppSide(client, checks)


class TestClock:
    """The wallet's clock, stopped at noon in Hangzhou (far from a local day's end, so
    that a few seconds' steps never cross a due date); tests move it with `advance()`."""

    __test__ = False

    def __init__(self) -> None:
        self.now = local_noon()

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def wallet_clock() -> Iterator[TestClock]:
    test_clock = TestClock()
    clock.set_source(lambda: test_clock.now)
    try:
        yield test_clock
    finally:
        clock.set_source(None)


@pytest.fixture
def merchant() -> str:
    """A fresh mini-app slug per test, so merchant balances start at zero."""
    return f"test-{uuid.uuid4().hex[:10]}"


WalletFactory = Callable[..., Awaitable[Citizen]]


@pytest.fixture
def new_wallet(api: Api, svc: Any) -> WalletFactory:
    """A real-name-verified citizen whose credit limit an admin set to `limit` fen."""

    async def make(limit: int = 10_000) -> Citizen:
        citizen = await api.citizen()
        admin = await api.admin()
        await svc.set_credit_limit(admin.id, citizen.id, limit)
        return citizen

    return make


@pytest.fixture
async def consistent_ledger(check: Any) -> AsyncIterator[None]:
    """Fail the test if it leaves the ledger inconsistent."""
    yield
    assert await check.ledger_problems() == []

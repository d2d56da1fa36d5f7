"""Test set-up: a fresh database per run (SQLite in a temp dir, or DATABASE_URL), the app
served in-process, and helpers that act as a citizen, an admin and a gate device.

Tests marked `postgres` or `redis` need those servers: they are deselected (not skipped)
unless DATABASE_URL / REDIS_URL point at them.
"""

from __future__ import annotations

import os
import tempfile

_DATA = tempfile.mkdtemp(prefix="citybrain-test-")
os.environ["CITYBRAIN_ENV"] = "test"
os.environ["CITYBRAIN_DATA_DIR"] = _DATA
os.environ.setdefault("CITYBRAIN_ADMIN_PHONES", "19900000001")
os.environ.setdefault("CITYBRAIN_AUTH_RATE_PER_CLIENT", "1000000")
os.environ.setdefault("CITYBRAIN_OTP_RATE_PER_PHONE", "1000")
os.environ.setdefault("CITYBRAIN_GATE_RATE_PER_CLIENT", "1000000")
os.environ["CITYBRAIN_SCHEDULER"] = "false"
# Jobs run in-process even when REDIS_URL is set (Redis still backs rate limits and streams);
# the notifications worker tests start real arq workers and queue to them themselves.
os.environ.setdefault("CITYBRAIN_JOBS", "inprocess")

from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from tests.helpers import Api  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    on_redis = bool(os.environ.get("REDIS_URL"))
    keep, drop = [], []
    for item in items:
        if (item.get_closest_marker("postgres") and not on_postgres) or (
            item.get_closest_marker("redis") and not on_redis
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
async def migrated() -> None:
    from app.cli import _migrate_async
    from app.database import close_engine

    await _migrate_async()
    # The app serves from its own loop (AsyncTestClient's portal): hand the engine over.
    await close_engine()


@pytest.fixture(scope="session")
async def client(migrated: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    from app.main import create_app

    async with AsyncTestClient(app=create_app(), timeout=30) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def api(client: AsyncTestClient) -> Api:  # type: ignore[type-arg]
    return Api(client)

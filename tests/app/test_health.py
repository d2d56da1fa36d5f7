"""GET /health (readiness) and GET /health/live (liveness)."""

from __future__ import annotations

import os

import pytest

import app.health
from tests.helpers import Api


async def _fails(*_: object) -> None:
    raise ConnectionError("down")


class TestReadiness:
    async def test_ready(self, api: Api) -> None:
        response = await api.client.get("/health")
        assert response.status_code == 200
        expected_queue = "ok" if os.environ.get("REDIS_URL") else "in_process"
        assert response.json() == {"status": "ok", "database": "ok", "queue": expected_queue}

    async def test_the_database_down_is_503(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(app.health, "fetch", _fails)
        response = await api.client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "down"
        assert response.json()["database"] == "unavailable"

    async def test_redis_down_is_degraded_but_ready(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def redis_down() -> bool:
            return False

        monkeypatch.setattr(app.health, "redis_ok", redis_down)
        response = await api.client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "database": "ok", "queue": "unavailable"}


class TestLiveness:
    async def test_alive_without_touching_anything(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(app.health, "fetch", _fails)
        monkeypatch.setattr(app.health, "redis_ok", _fails)
        response = await api.client.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

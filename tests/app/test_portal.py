"""The test helpers that reach the app's own loop: real overlap, and streams that end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
from litestar import Litestar, get
from litestar.response import ServerSentEvent

from tests.app.portal import AppTransport, concurrently, in_app
from tests.helpers import Api


class TestInApp:
    async def test_runs_on_the_app_loop(self, api: Api) -> None:
        async def where() -> int:
            return threading.get_ident()

        assert await in_app(api.client, where) != threading.get_ident()

    async def test_concurrently_answers_in_the_order_asked(self, api: Api) -> None:
        requests: list[dict[str, Any]] = [
            {"method": "GET", "url": "/health/live"},
            {"method": "POST", "url": "/api/v1/auth/otp", "json": {}},
            {"method": "GET", "url": "/health"},
        ]
        responses = await concurrently(api.client, requests)
        assert [r.status_code for r in responses] == [200, 422, 200]


class TestAppTransport:
    async def test_requests_really_overlap(self) -> None:
        """Unlike gather() over Litestar's test client, which answers one request at a time:
        each request here waits until all five are inside the app."""
        arrived = 0
        everyone = asyncio.Event()

        @get("/meet")
        async def meet() -> dict[str, int]:
            nonlocal arrived
            arrived += 1
            if arrived == 5:
                everyone.set()
            await asyncio.wait_for(everyone.wait(), 5)
            return {"arrived": arrived}

        transport = AppTransport(Litestar([meet]))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            responses = await asyncio.gather(*(http.get("/meet") for _ in range(5)))
        assert [r.json()["arrived"] for r in responses] == [5] * 5

    async def test_an_endless_event_stream_is_cut(self) -> None:
        async def ticks() -> AsyncIterator[str]:
            yield "first"
            await asyncio.Event().wait()  # never another event, never the end

        @get("/stream")
        async def stream() -> ServerSentEvent:
            return ServerSentEvent(ticks())

        @get("/plain")
        async def plain() -> dict[str, str]:
            return {"ok": "yes"}

        transport = AppTransport(Litestar([stream, plain]), stream_window=0.1)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await asyncio.wait_for(http.get("/stream"), 5)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "data: first" in response.text
            assert (await http.get("/plain")).json() == {"ok": "yes"}

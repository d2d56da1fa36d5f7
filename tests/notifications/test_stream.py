"""The live stream: served by a real HTTP server (the test client cannot stream), on the
session app's own event loop."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.helpers import Api
from tests.journeys.actors import health_code
from tests.notifications.helpers import publish_event, settle


class SseReader:
    """Reads server-sent events from a streaming httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def connected(self, within: float = 5.0) -> SseReader:
        """Wait for the stream's opening comment: from then on, every new event is sent."""

        async def read() -> None:
            async for line in self.lines:
                if line == ": connected":
                    return
            raise EOFError("stream ended")

        await asyncio.wait_for(read(), within)
        return self

    async def next_event(self, within: float = 5.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event: dict[str, Any] = {}
            async for line in self.lines:
                if line == "":
                    if "data" in event or "id" in event:
                        return event
                    event = {}
                    continue
                field, _, value = line.partition(":")
                if field:  # a line starting with ":" is a comment
                    event[field] = value.removeprefix(" ")
            raise EOFError("stream ended")

        return await asyncio.wait_for(read(), within)

    async def ended(self, within: float = 5.0) -> bool:
        async def drain() -> bool:
            async for _ in self.lines:
                pass
            return True

        return await asyncio.wait_for(drain(), within)


class TestStream:
    async def test_published_event_arrives_with_its_id(self, api: Api, server_url: str) -> None:
        citizen = await api.citizen()
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = await SseReader(response).connected()
            event_id = await publish_event(
                api, "healthcode.colour_changed", citizen.id, title="健康码变为红码"
            )
            await settle(api)
            event = await reader.next_event()
            assert event["id"] == event_id and event["event"] == "notification"
            body = json.loads(event["data"])
            assert body["id"] == event_id and body["title"] == "健康码变为红码"
            assert body["kind"] == "healthcode.colour_changed"

    async def test_a_colour_change_arrives(self, api: Api, server_url: str) -> None:
        citizen = await api.citizen()
        await health_code(api, citizen, "green")
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            reader = await SseReader(response).connected()
            await health_code(api, citizen, "red")  # close contact
            await settle(api)
            body = json.loads((await reader.next_event())["data"])
            assert body["kind"] == "healthcode.colour_changed"

    async def test_last_event_id_resumes_after_that_notification(
        self, api: Api, server_url: str
    ) -> None:
        citizen = await api.citizen()
        first = await publish_event(api, "wallet.due", citizen.id)
        await settle(api)
        second = await publish_event(api, "wallet.overdue", citizen.id)
        third = await publish_event(api, "wallet.suspended", citizen.id)
        await settle(api)
        headers = {**citizen.headers, "Last-Event-ID": first}
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=headers) as response,
        ):
            reader = await SseReader(response).connected()
            assert (await reader.next_event())["id"] == second
            assert (await reader.next_event())["id"] == third

    async def test_without_last_event_id_only_new_ones_come(
        self, api: Api, server_url: str
    ) -> None:
        citizen = await api.citizen()
        await publish_event(api, "wallet.due", citizen.id)
        await settle(api)
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            reader = await SseReader(response).connected()
            newer = await publish_event(api, "wallet.captured", citizen.id)
            await settle(api)
            assert (await reader.next_event())["id"] == newer

    async def test_another_citizens_events_do_not_show(self, api: Api, server_url: str) -> None:
        citizen, other = await api.citizen(), await api.citizen()
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            reader = await SseReader(response).connected()
            await publish_event(api, "wallet.due", other.id)
            mine = await publish_event(api, "wallet.due", citizen.id)
            await settle(api)
            assert (await reader.next_event())["id"] == mine

    async def test_the_stream_closes_when_the_login_is_revoked(
        self, api: Api, server_url: str
    ) -> None:
        citizen = await api.citizen()
        async with (
            httpx.AsyncClient(base_url=server_url, timeout=10) as http,
            http.stream("GET", "/api/v1/notifications/stream", headers=citizen.headers) as response,
        ):
            reader = await SseReader(response).connected()
            logout = await api.client.post(
                "/api/v1/auth/logout",
                json={"refresh_token": citizen.refresh_token},
                headers=citizen.headers,
            )
            assert logout.status_code == 204, logout.text
            assert await reader.ended(within=5)

    async def test_callers_without_a_citizen_token_are_refused(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers, {"Authorization": "Bearer nonsense"}):
            response = await api.client.get("/api/v1/notifications/stream", headers=headers)
            assert response.status_code == 401

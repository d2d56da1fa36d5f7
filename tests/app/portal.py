"""Running code on the app's own event loop, and requests that really overlap.

Litestar's `AsyncTestClient` serves the app from a separate thread with its own event loop (an
anyio blocking portal), and each request blocks the caller until it is answered. So
`asyncio.gather(client.post(...), client.post(...))` never overlaps two requests, and the app's
connections (the asyncpg pool, the SQLite engine's locks) belong to that other loop. These
helpers run code there: `in_app` for direct calls (database checks), `concurrently` for
requests that are in flight at the same time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from litestar.testing import AsyncTestClient

T = TypeVar("T")


class AppTransport(httpx.AsyncBaseTransport):
    """httpx to an ASGI app on the current loop, like `httpx.ASGITransport`, except that an
    event stream (which never ends by itself) is cut after `stream_window` seconds: the answer
    holds the status, the headers and the events sent so far."""

    def __init__(self, app: Any, stream_window: float = 0.3) -> None:
        self.app = app
        self.stream_window = stream_window

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
        }
        sent_body = False
        gone = asyncio.Event()
        started = asyncio.Event()
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                started.set()
            elif message["type"] == "http.response.body" and request.method != "HEAD":
                chunks.append(message.get("body", b""))

        task = asyncio.create_task(self.app(scope, receive, send))
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        content_type = dict(headers).get(b"content-type", b"")
        if not task.done() and content_type.startswith(b"text/event-stream"):
            await asyncio.wait({task}, timeout=self.stream_window)
            gone.set()  # the client leaves, as a browser closing the page would
            await asyncio.wait({task}, timeout=2)
            if not task.done():
                task.cancel()
        else:
            await task
        gone.set()
        stream = httpx.ByteStream(b"".join(chunks))
        return httpx.Response(status, headers=headers, stream=stream, request=request)


async def in_app(
    client: AsyncTestClient,  # type: ignore[type-arg]
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """Await `fn(*args, **kwargs)` on the app's event loop and return its result."""
    call = functools.partial(fn, *args, **kwargs)
    result: T = await asyncio.to_thread(client.blocking_portal.call, call)
    return result


async def concurrently(
    client: AsyncTestClient,  # type: ignore[type-arg]
    requests: list[dict[str, Any]],
) -> list[httpx.Response]:
    """Send every request (`httpx.AsyncClient.request` keyword arguments) at once, in the
    app's loop, so that they interleave at every await; answers in the order asked."""

    async def send_all() -> list[httpx.Response]:
        transport = AppTransport(client.app)
        async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as http:
            return list(await asyncio.gather(*(http.request(**r) for r in requests)))

    return await in_app(client, send_all)


async def db_fetch(
    client: AsyncTestClient,  # type: ignore[type-arg]
    sql: str,
    *args: Any,
) -> list[dict[str, Any]]:
    """`app.database.fetch` on the app's loop (PostgreSQL pools are bound to their loop)."""
    from app.database import fetch

    return await in_app(client, fetch, sql, *args)

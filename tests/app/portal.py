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
        transport = httpx.ASGITransport(app=client.app)
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

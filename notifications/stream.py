"""The live stream of a citizen's inbox, over Litestar Channels.

A channel per citizen carries only a wake-up signal; the inbox table is the truth. A stream
reads rows after the last one it sent, so Last-Event-ID resumes exactly, a lost signal (Redis
blip, worker in another process) costs at most one poll interval, and an event never shows
twice. With `REDIS_URL` the channels are Redis pub/sub, so a dispatcher in any process (an arq
worker) wakes a stream held by any app process; otherwise they live in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.response import ServerSentEventMessage
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.settings import get_settings
from notifications import inbox
from notifications.config import get_config

log = logging.getLogger("citybrain.notifications")

RETRY_MS = 3000  # how soon a client reconnects after the stream ends
# On PostgreSQL a row may commit after a row with a higher seq; look back this far for it.
LOOKBACK = 50


class ResilientRedisBackend(RedisChannelsPubSubBackend):
    """Redis pub/sub that keeps listening across a Redis outage instead of dying with it."""

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            try:
                async for item in super().stream_events():
                    yield item
            except (RedisError, OSError) as exc:
                log.warning("channels: redis unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)


def _backend() -> ChannelsBackend:
    url = get_settings().redis_url
    if url:
        return ResilientRedisBackend(redis=Redis.from_url(url, socket_connect_timeout=1))
    return MemoryChannelsBackend()


channels_plugin = ChannelsPlugin(backend=_backend(), arbitrary_channels_allowed=True)


def channel_of(citizen_id: str) -> str:
    return f"citybrain:inbox:{citizen_id}"


async def announce(citizen_id: str) -> None:
    """Wake the citizen's open streams; best effort (they poll too)."""
    try:
        await channels_plugin.wait_published(b"new", channel_of(citizen_id))
    except Exception as exc:  # memory backend not started (a worker) or Redis down
        log.debug("stream wake-up not sent: %s", type(exc).__name__)


async def notification_events(
    citizen_id: str, session_id: str, last_event_id: str | None
) -> AsyncIterator[ServerSentEventMessage]:
    """New notifications as server-sent events, until the client leaves or the login ends."""
    from identity import service as identity_service

    config = get_config()
    wake = asyncio.Event()

    async def on_signal(_: bytes) -> None:
        wake.set()

    async with AsyncExitStack() as stack:
        try:
            subscriber = await stack.enter_async_context(
                channels_plugin.start_subscription(channel_of(citizen_id))
            )
            await stack.enter_async_context(subscriber.run_in_background(on_signal))
        except Exception as exc:
            log.warning("stream without live signal (%s); polling", type(exc).__name__)
        floor = last_seq = await inbox.resume_point(citizen_id, last_event_id)
        sent: deque[str] = deque(maxlen=4 * LOOKBACK)
        yield ServerSentEventMessage(data=None, comment="connected", retry=RETRY_MS)
        check_login_at = time.monotonic() + config.stream_poll_seconds
        while True:
            wake.clear()
            for item, seq in await inbox.after(citizen_id, max(floor, last_seq - LOOKBACK)):
                if item.id in sent:
                    continue
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(item).decode(), event="notification", id=item.id
                )
                sent.append(item.id)
                last_seq = max(last_seq, seq)
            try:
                await asyncio.wait_for(wake.wait(), timeout=config.stream_poll_seconds)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
            if time.monotonic() >= check_login_at:
                if await identity_service.active_login(session_id, citizen_id) is None:
                    return
                check_login_at = time.monotonic() + config.stream_poll_seconds

"""The shared Redis client, when `REDIS_URL` is set."""

from __future__ import annotations

from redis.asyncio import Redis

from app.settings import get_settings

_client: Redis | None = None


def get_redis() -> Redis | None:
    global _client
    url = get_settings().redis_url
    if not url:
        return None
    if _client is None:
        _client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


async def redis_ok() -> bool | None:
    """True/False for a configured Redis that answers or not; None when there is none."""
    client = get_redis()
    if client is None:
        return None
    try:
        return bool(await client.ping())
    except Exception:
        return False

"""Fixed-window rate limits, in memory or in Redis so that several processes share one limit."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import RateLimited

log = logging.getLogger("citybrain.ratelimit")


class RateLimitStore(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, int]:
        """Count one hit in the current window; return (hits so far, seconds left)."""
        ...


class MemoryRateLimitStore:
    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = int(time.time())
        bucket = now // window
        full = f"{key}:{bucket}"
        count = self._counts.get(full, (0, bucket))[0] + 1
        self._counts[full] = (count, bucket)
        if len(self._counts) > 100_000:
            self._counts = {k: v for k, v in self._counts.items() if v[1] == bucket}
        return count, window - now % window

    async def reset(self) -> None:
        self._counts.clear()


class RedisRateLimitStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.fallback = MemoryRateLimitStore()

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = int(time.time())
        full = f"citybrain:rl:{key}:{now // window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(full)
                pipe.expire(full, window + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            # Redis down: keep limiting, per process, rather than refuse every login.
            log.warning("rate-limit store unavailable; limiting in memory meanwhile")
            return await self.fallback.hit(key, window)
        return int(count), window - now % window


class RateLimiter:
    def __init__(self, store: RateLimitStore) -> None:
        self.store = store

    async def check(self, key: str, limit: int, window: int = 60) -> None:
        """Count a hit against `key`; raise 429 `rate_limited` past `limit` per `window`."""
        count, retry_after = await self.store.hit(key, window)
        if count > limit:
            raise RateLimited(retry_after)


_limiter: RateLimiter | None = None


def get_limiter() -> RateLimiter:
    global _limiter
    if _limiter is None:
        from app.redis import get_redis

        redis = get_redis()
        store: RateLimitStore = RedisRateLimitStore(redis) if redis else MemoryRateLimitStore()
        _limiter = RateLimiter(store)
    return _limiter


def reset_limiter() -> None:
    global _limiter
    _limiter = None

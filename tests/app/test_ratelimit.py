"""Fixed-window rate limits: in memory, and shared across processes through Redis."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from app import ratelimit
from app.errors import RateLimited
from app.ratelimit import MemoryRateLimitStore, RateLimiter, RedisRateLimitStore


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(1_000_000.0)  # 40 s into a minute window
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=clock.time))
    return clock


class TestMemoryLimiter:
    async def test_allows_the_limit_then_refuses_with_retry_after(self, clock: Clock) -> None:
        limiter = RateLimiter(MemoryRateLimitStore())
        for _ in range(3):
            await limiter.check("k", 3, 60)
        with pytest.raises(RateLimited) as refused:
            await limiter.check("k", 3, 60)
        assert refused.value.headers == {"Retry-After": "20"}
        assert refused.value.status == 429 and refused.value.code == "rate_limited"

    async def test_keys_are_independent(self, clock: Clock) -> None:
        limiter = RateLimiter(MemoryRateLimitStore())
        await limiter.check("a", 1, 60)
        await limiter.check("b", 1, 60)
        with pytest.raises(RateLimited):
            await limiter.check("a", 1, 60)

    async def test_a_new_window_starts_afresh(self, clock: Clock) -> None:
        limiter = RateLimiter(MemoryRateLimitStore())
        await limiter.check("k", 1, 60)
        with pytest.raises(RateLimited):
            await limiter.check("k", 1, 60)
        clock.now += 20
        await limiter.check("k", 1, 60)

    async def test_old_windows_are_pruned(self, clock: Clock) -> None:
        store = MemoryRateLimitStore()
        for i in range(100_001):
            await store.hit(f"k{i}", 60)
        clock.now += 60
        await store.hit("fresh", 60)
        assert len(store._counts) == 1

    async def test_retry_after_is_at_least_one_second(self) -> None:
        assert RateLimited(0).headers == {"Retry-After": "1"}


@pytest.mark.redis
class TestRedisLimiter:
    async def test_two_processes_share_one_limit(self) -> None:
        from redis.asyncio import Redis

        url = os.environ["REDIS_URL"]
        first, second = Redis.from_url(url), Redis.from_url(url)
        try:
            key = f"test:{os.urandom(6).hex()}"
            a = RateLimiter(RedisRateLimitStore(first))
            b = RateLimiter(RedisRateLimitStore(second))
            await a.check(key, 2, 60)
            await b.check(key, 2, 60)
            with pytest.raises(RateLimited) as refused:
                await a.check(key, 2, 60)
            assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
        finally:
            await first.aclose()
            await second.aclose()


class TestRedisOutage:
    async def test_limits_fall_back_to_memory_when_redis_is_down(self) -> None:
        from redis.asyncio import Redis

        from app.errors import RateLimited
        from app.ratelimit import RateLimiter, RedisRateLimitStore

        # Nothing listens on port 1: every Redis call fails at once.
        dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        limiter = RateLimiter(RedisRateLimitStore(dead))
        await limiter.check("outage", 2)
        await limiter.check("outage", 2)
        with pytest.raises(RateLimited):
            await limiter.check("outage", 2)
        await dead.aclose()

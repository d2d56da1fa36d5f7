"""arq worker settings: the same task functions the in-process runner uses.

The worker's own Redis connection retries with backoff for about a minute, so that a Redis
restart or a network blip pauses the worker instead of killing it; jobs missed meanwhile are
found again by the outbox sweeper.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app import domains
from app.database import close_engine, open_engine
from app.jobs import TASKS, ArqRunner, arq_function, scheduler_loop, set_runner
from app.security import get_keyring
from app.settings import get_settings

domains.load_tasks()


async def startup(ctx: dict[str, Any]) -> None:
    get_keyring()
    await open_engine()
    runner = ArqRunner(get_settings().redis_url)
    await runner.start()
    set_runner(runner)
    stop = asyncio.Event()
    ctx["stop"] = stop
    ctx["scheduler"] = asyncio.create_task(scheduler_loop(stop))
    for hook in domains.lifecycle_hooks("on_worker_startup"):
        await hook()


async def shutdown(ctx: dict[str, Any]) -> None:
    ctx["stop"].set()
    await ctx["scheduler"]
    await close_engine()


REDIS_RETRIES = 40  # with the backoff below: about a minute of Redis outage is ridden out


def _patient_pool(url: str) -> ArqRedis:
    retry = Retry(
        ExponentialBackoff(cap=2.0, base=0.1),
        REDIS_RETRIES,
        # OSError too: a refused connect, so that the worker may even start before Redis.
        supported_errors=(RedisConnectionError, RedisTimeoutError, OSError),  # type: ignore[arg-type]
    )
    pool: ArqRedis = ArqRedis.from_url(
        url,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError, OSError],
        socket_connect_timeout=1,
    )
    return pool


class WorkerSettings:
    functions = [arq_function(name) for name in TASKS]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url or "redis://localhost:6379")
    redis_pool = _patient_pool(get_settings().redis_url or "redis://localhost:6379")
    max_tries = 5
    # Jobs in flight at once. Most wait on a webhook's answer, an SMS gateway or the
    # database, not on this process's CPU: arq's default of 10 drained an outbox backlog at
    # ~50 events a second (bench/drills.py redis_down_20s). The database pool holds 20.
    max_jobs = int(os.environ.get("CITYBRAIN_WORKER_CONCURRENCY") or 40)
    # Seconds a job may run; a job of a killed worker is run again this long (+10 s) later.
    # Notifications take the same value as their claim lease (notifications/config.py).
    job_timeout = int(os.environ.get("CITYBRAIN_JOB_TIMEOUT") or 60)
    keep_result = 60

"""arq worker settings: the same task functions the in-process runner uses."""

from __future__ import annotations

import asyncio
from typing import Any

from arq.connections import RedisSettings
from arq.worker import func

from app import domains
from app.database import close_engine, open_engine
from app.jobs import TASKS, ArqRunner, scheduler_loop, set_runner
from app.security import get_keyring
from app.settings import get_settings

domains.load_tasks()


def _wrap(name: str) -> Any:
    async def run(ctx: dict[str, Any], **kwargs: Any) -> None:
        await TASKS[name](**kwargs)

    run.__qualname__ = run.__name__ = name
    return func(run, name=name)


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


class WorkerSettings:
    functions = [_wrap(name) for name in TASKS]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url or "redis://localhost:6379")
    max_tries = 5
    job_timeout = 60
    keep_result = 60

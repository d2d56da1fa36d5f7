"""The job runner every domain uses: one interface, two implementations.

Domains declare jobs with `@task` and periodic jobs with `@periodic`; the same functions run
in-process (the embedded default) or on arq workers (when `REDIS_URL` is set). Jobs run at
least once, so every task must be idempotent. `enqueue_after_commit` queues a job only once
the surrounding transaction has committed, so a worker never sees a change that rolled back.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from app.database import after_commit, fetch
from app.metrics import JOB_DURATION, JOBS_NOT_QUEUED

log = logging.getLogger("citybrain.jobs")

TaskFn = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=TaskFn)

TASKS: dict[str, TaskFn] = {}


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: int  # seconds


PERIODIC: dict[str, PeriodicJob] = {}


def task_name(fn: TaskFn) -> str:
    return f"{fn.__module__}.{fn.__name__}"


def task(fn: F) -> F:
    """Register a job function (keyword arguments only, JSON-safe values)."""
    TASKS[task_name(fn)] = fn
    return fn


def periodic(every: int) -> Callable[[F], F]:
    """Register a job to run once every `every` seconds across all processes."""

    def register(fn: F) -> F:
        task(fn)
        PERIODIC[task_name(fn)] = PeriodicJob(task_name(fn), every)
        return fn

    return register


class QueueUnavailable(ConnectionError):
    """The queue (Redis) did not take a job; what the job would do waits in the database."""


class JobRunner(Protocol):
    async def enqueue(
        self,
        name: str,
        kwargs: dict[str, Any],
        job_id: str | None = None,
        defer_by: float | None = None,
    ) -> None: ...

    async def start(self) -> None: ...

    async def drain(self) -> None: ...

    async def close(self) -> None: ...


class InProcessRunner:
    """Runs jobs as asyncio tasks in this process, retrying with backoff.

    Jobs run on the app's event loop (the one `start()` ran on), whoever queues them: code on
    another loop (a test calling a service directly, while the test client serves the app
    from its own thread) hands the job over instead of running it where the app's
    connections and locks do not live. A deferred job waits outside `drain()` until it is
    due, and `close()` drops it: its work is in the database, for a sweeper to find again.
    """

    SEEN_FOR = 3600.0  # seconds a job id is remembered, like a queue's job-id dedupe

    def __init__(self, *, inline: bool = False, max_tries: int = 5) -> None:
        self.inline = inline
        self.max_tries = max_tries
        self._running: set[asyncio.Task[None]] = set()
        self._deferred: set[asyncio.Task[None]] = set()
        self._seen: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def enqueue(
        self,
        name: str,
        kwargs: dict[str, Any],
        job_id: str | None = None,
        defer_by: float | None = None,
    ) -> None:
        if name not in TASKS:
            raise KeyError(f"unknown job {name}")
        if job_id is not None:
            if job_id in self._seen:
                return
            self._remember(job_id)
        home = self._loop
        if home is not None and home is not asyncio.get_running_loop() and home.is_running():
            home.call_soon_threadsafe(self._spawn, name, kwargs, defer_by or 0.0)
            return
        if self.inline and not defer_by:
            await self._run(name, kwargs)
            return
        self._spawn(name, kwargs, defer_by or 0.0)

    def _spawn(self, name: str, kwargs: dict[str, Any], delay: float) -> None:
        # A fresh context: the job must not inherit the caller's transaction.
        job = asyncio.get_running_loop().create_task(
            self._run(name, kwargs, delay), context=contextvars.Context()
        )
        (self._deferred if delay > 0 else self._running).add(job)
        job.add_done_callback(self._running.discard)
        job.add_done_callback(self._deferred.discard)

    def _remember(self, job_id: str) -> None:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.SEEN_FOR}
        self._seen[job_id] = now

    async def _run(self, name: str, kwargs: dict[str, Any], delay: float = 0.0) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
            job = asyncio.current_task()
            if job is not None and job in self._deferred:  # due now: drain() waits for it
                self._deferred.discard(job)
                self._running.add(job)
        for attempt in range(1, self.max_tries + 1):
            try:
                await run_timed(name, kwargs)
                return
            except Exception:
                log.exception("job %s failed (attempt %d)", name, attempt)
                if attempt == self.max_tries:
                    return
                await asyncio.sleep(min(30.0, 0.2 * 2**attempt) * (0.5 + random.random()))

    async def drain(self) -> None:
        """Wait for every job queued to run now (tests, shutdown), from any event loop."""
        home = self._loop
        if home is not None and home is not asyncio.get_running_loop() and home.is_running():
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.drain(), home))
            return
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        deferred = list(self._deferred)
        for job in deferred:
            job.cancel()
        await asyncio.gather(*deferred, return_exceptions=True)
        await self.drain()


class ArqRunner:
    """Queues jobs in Redis for `citybrain worker` (arq) processes.

    While Redis is down, enqueueing fails fast for a few seconds after each failure instead
    of making every request wait on a connection timeout: the outbox sweeper re-queues what
    was missed once Redis answers again.
    """

    RETRY_AFTER = 5.0  # seconds to fail fast after a failed enqueue

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._pool: Any = None
        self._down_until = 0.0

    async def start(self) -> None:
        from arq import create_pool
        from arq.connections import RedisSettings

        settings = RedisSettings.from_dsn(self.redis_url)
        settings.conn_retries = 0
        self._pool = await create_pool(settings)

    async def enqueue(
        self,
        name: str,
        kwargs: dict[str, Any],
        job_id: str | None = None,
        defer_by: float | None = None,
    ) -> None:
        if time.monotonic() < self._down_until:
            raise QueueUnavailable("queue unavailable (recent failure)")
        try:
            if self._pool is None:
                await self.start()
            await self._pool.enqueue_job(name, _job_id=job_id, _defer_by=defer_by, **kwargs)
        except Exception as exc:
            if not self._down_until:
                log.warning("queue unavailable (%s): jobs wait in the database", type(exc).__name__)
            self._down_until = time.monotonic() + self.RETRY_AFTER
            raise QueueUnavailable(f"queue unavailable ({type(exc).__name__})") from exc
        if self._down_until:
            log.warning("queue available again")
            self._down_until = 0.0

    async def drain(self, within: float = 60.0) -> None:
        """Run the jobs that are due now in this process, as a burst worker would (tests and
        operations: with no worker running, this is how queued work gets done here and now).
        Jobs those jobs queue are run too; deferred ones are left for when they are due."""
        from arq.utils import timestamp_ms
        from arq.worker import Worker

        if self._pool is None:
            await self.start()
        deadline = time.monotonic() + within
        while True:
            # arq's own clock (it rounds): a job queued this millisecond counts as due.
            now = timestamp_ms()
            due = int(await self._pool.zcount(self._pool.default_queue_name, "-inf", now))
            if due == 0:
                return
            worker = Worker(
                functions=[arq_function(name) for name in TASKS],
                redis_pool=self._pool,
                burst=True,
                max_burst_jobs=due,
                handle_signals=False,
                poll_delay=0.02,
                keep_result=60,
            )
            await asyncio.wait_for(worker.async_run(), timeout=deadline - time.monotonic())

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


async def run_timed(name: str, kwargs: dict[str, Any]) -> None:
    """Run one attempt of a job, timed into citybrain_job_duration_seconds{job, outcome}."""
    started = time.perf_counter()
    outcome = "error"
    try:
        await TASKS[name](**kwargs)
        outcome = "ok"
    finally:
        JOB_DURATION.labels(name, outcome).observe(time.perf_counter() - started)


def arq_function(name: str) -> Any:
    """A registered task as an arq worker function (arq passes a context first)."""
    from arq.worker import func

    async def run(ctx: dict[str, Any], **kwargs: Any) -> None:
        await run_timed(name, kwargs)

    run.__qualname__ = run.__name__ = name
    return func(run, name=name)


_runner: JobRunner | None = None


def set_runner(runner: JobRunner | None) -> None:
    global _runner
    _runner = runner


def get_runner() -> JobRunner:
    if _runner is None:
        raise RuntimeError("no job runner: the app (or worker) has not started")
    return _runner


async def enqueue(
    fn: TaskFn | str, job_id: str | None = None, *, defer_by: float | None = None, **kwargs: Any
) -> None:
    """Queue a job (after `defer_by` seconds, if given); a known `job_id` is queued once."""
    name = fn if isinstance(fn, str) else task_name(fn)
    await get_runner().enqueue(name, kwargs, job_id, defer_by)


def enqueue_after_commit(
    fn: TaskFn | str, job_id: str | None = None, *, defer_by: float | None = None, **kwargs: Any
) -> None:
    """Queue a job once the current transaction commits; errors are logged, not raised."""

    async def hook() -> None:
        name = fn if isinstance(fn, str) else task_name(fn)
        try:
            await enqueue(fn, job_id, defer_by=defer_by, **kwargs)
        except QueueUnavailable:
            # Said once per outage by the runner; the job's row waits for the sweeper.
            JOBS_NOT_QUEUED.labels(name).inc()
        except Exception:
            JOBS_NOT_QUEUED.labels(name).inc()
            log.exception("could not enqueue %s", name)

    after_commit(hook)


# The scheduler ----------------------------------------------------------------------------


async def claim_tick(name: str, tick: int) -> bool:
    """Claim one run of a periodic job; exactly one process wins each (name, tick)."""
    rows = await fetch(
        "INSERT INTO scheduled_tick (job_tick, claimed_at) VALUES ({}, {}) "
        "ON CONFLICT (job_tick) DO NOTHING RETURNING id",
        f"{name}:{tick}",
        datetime.now(UTC),
    )
    return bool(rows)


async def run_due_jobs(now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose current tick nobody has claimed yet."""
    now = time.time() if now is None else now
    started: list[str] = []
    for job in list(PERIODIC.values()):
        tick = int(now // job.every)
        if await claim_tick(job.name, tick):
            try:
                await enqueue(job.name, job_id=f"{job.name}:{tick}")
            except Exception as exc:
                # Not queued (Redis down): give the tick back so that a later loop retries it.
                await fetch("DELETE FROM scheduled_tick WHERE job_tick = {}", f"{job.name}:{tick}")
                log.warning("could not queue %s: %s", job.name, type(exc).__name__)
                continue
            started.append(job.name)
    return started


async def scheduler_loop(stop: asyncio.Event, interval: float = 1.0) -> None:
    while not stop.is_set():
        try:
            await run_due_jobs()
        except Exception:
            log.exception("scheduler tick failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass

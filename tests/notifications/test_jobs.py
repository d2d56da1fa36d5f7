"""The job runner pieces notifications rely on: ticks claimed once, deferred jobs."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from app import jobs
from app.database import atomic
from app.jobs import ArqRunner, InProcessRunner, enqueue_after_commit, run_due_jobs
from tests.helpers import Api
from tests.notifications.helpers import in_app, sql

NAME = "tests.notifications.hourly_probe"


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """An hourly job registered for this test only (the registry is process-wide)."""
    calls: list[str] = []

    async def hourly_probe() -> None:
        calls.append("hourly")

    monkeypatch.setitem(jobs.TASKS, NAME, hourly_probe)
    monkeypatch.setattr(jobs, "PERIODIC", {NAME: jobs.PeriodicJob(NAME, 3600)})
    return calls


async def drain(api: Api) -> None:
    runner = jobs.get_runner()
    if isinstance(runner, InProcessRunner):
        await runner.drain()


class TestScheduler:
    async def test_each_tick_runs_once_across_schedulers(self, api: Api, ran: list[str]) -> None:
        now = time.time() + 10 * 365 * 86400  # a tick no earlier test claimed

        async def two_schedulers() -> list[list[str]]:
            return list(await asyncio.gather(run_due_jobs(now), run_due_jobs(now)))

        started = await in_app(api, two_schedulers)
        assert sorted(started, key=len) == [[], [NAME]]
        assert await in_app(api, run_due_jobs, now + 1) == []  # same tick
        assert await in_app(api, run_due_jobs, now + 3600) == [NAME]  # the next one
        await drain(api)

    async def test_a_tick_that_could_not_be_queued_is_given_back(
        self, api: Api, ran: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = time.time() + 20 * 365 * 86400

        async def queue_down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        real_enqueue = jobs.enqueue
        monkeypatch.setattr(jobs, "enqueue", queue_down)
        assert await in_app(api, run_due_jobs, now) == []
        tick = f"{NAME}:{int(now // 3600)}"
        assert await sql(api, "SELECT id FROM scheduled_tick WHERE job_tick = {}", tick) == []
        monkeypatch.setattr(jobs, "enqueue", real_enqueue)
        assert await in_app(api, run_due_jobs, now) == [NAME]
        await drain(api)


class TestInProcessRunner:
    async def test_deferred_job_waits_outside_drain_and_a_job_id_runs_once(
        self, ran: list[str]
    ) -> None:
        runner = InProcessRunner()
        await runner.enqueue(NAME, {}, job_id="probe-1", defer_by=0.2)
        await runner.enqueue(NAME, {}, job_id="probe-1")
        await runner.drain()  # a deferred job is not due yet: drain does not wait for it
        assert ran == []
        await asyncio.sleep(0.3)
        await runner.drain()
        assert ran == ["hourly"]

    async def test_close_drops_deferred_jobs(self, ran: list[str]) -> None:
        runner = InProcessRunner()
        await runner.enqueue(NAME, {}, defer_by=30)
        await runner.close()
        await asyncio.sleep(0)
        assert ran == [] and not runner._deferred

    async def test_inline_runner_runs_at_once(self, ran: list[str]) -> None:
        runner = InProcessRunner(inline=True)
        await runner.enqueue(NAME, {})
        assert ran == ["hourly"]

    async def test_a_job_queued_from_another_loop_runs_on_the_apps_loop(
        self, api: Api, ran: list[str]
    ) -> None:
        runner = InProcessRunner()
        await in_app(api, runner.start)  # the runner belongs to the app's loop
        await runner.enqueue(NAME, {})  # queued from the test's loop
        await runner.drain()
        assert ran == ["hourly"]
        assert not runner._running


@pytest.mark.redis
class TestArqRunnerDrain:
    async def test_drain_runs_due_jobs_here_and_leaves_deferred_ones(
        self, api: Api, ran: list[str]
    ) -> None:
        url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/11"  # a private queue

        async def scenario() -> list[str]:
            runner = ArqRunner(url)
            await runner.start()
            try:
                await runner._pool.flushdb()
                await runner.enqueue(NAME, {})
                await runner.enqueue(NAME, {}, defer_by=600)
                await runner.drain()
                return list(ran)
            finally:
                await runner._pool.flushdb()
                await runner.close()

        assert await in_app(api, scenario) == ["hourly"]


class TestArqRunnerOutage:
    async def test_a_queue_that_is_down_is_said_once_not_once_per_job(
        self, api: Api, ran: list[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """While Redis is down every commit's job fails to queue: one warning for the
        outage (no traceback, no job arguments), a counter per job, and fast failures."""
        runner = ArqRunner("redis://127.0.0.1:1/0")  # nothing listens there
        not_queued = jobs.JOBS_NOT_QUEUED.labels(NAME)
        before = not_queued._value.get()

        async def five_commits_then_one_more_job() -> float:
            app_runner = jobs.get_runner()
            jobs.set_runner(runner)
            try:
                for _ in range(5):
                    async with atomic():
                        enqueue_after_commit(NAME, secret="13800000000")
                started = time.monotonic()
                with pytest.raises(jobs.QueueUnavailable):
                    await runner.enqueue(NAME, {})
                return time.monotonic() - started
            finally:
                jobs.set_runner(app_runner)

        with caplog.at_level("DEBUG", logger="citybrain.jobs"):
            took = await in_app(api, five_commits_then_one_more_job)
        assert took < 0.05  # fails fast: no new connection attempt
        assert not_queued._value.get() - before == 5
        said = [r for r in caplog.records if r.name == "citybrain.jobs"]
        assert [r.getMessage() for r in said] == [
            "queue unavailable (ConnectionError): jobs wait in the database"
        ]
        assert all(r.exc_info is None for r in said) and ran == []
        assert "13800000000" not in caplog.text

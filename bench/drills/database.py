"""Drill `postgres_restarted`: PostgreSQL stopped for a few seconds and started again while
clients scan codes through two app processes. While it is down every answer is a quick 503
`unavailable` (problem+json, no traceback); afterwards both processes serve again by
themselves (same PIDs, no restart), and every scan acknowledged with a `scan_id` is in the
scan log."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.drills import scene
from bench.drills.procs import Cluster, postgres, query, wait_postgres_ready

CLIENTS = 16
LOAD_BEFORE = 3.0
DOWN_FOR = 5.0
RECOVER_WITHIN = 30.0
FAST = 2.0  # seconds: what "fails fast" means for one answer while the database is down


@dataclass
class Tally:
    acknowledged: list[str] = field(default_factory=list)  # scan ids answered 200
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    slowest_refusal: float = 0.0


def _judge(response: httpx.Response, took: float, tally: Tally) -> None:
    if response.status_code == 200:
        tally.acknowledged.append(response.json()["scan_id"])
        tally.statuses["200"] += 1
        return
    tally.statuses[str(response.status_code)] += 1
    tally.slowest_refusal = max(tally.slowest_refusal, took)
    body = response.text
    if response.status_code != 503:
        tally.problems.append(f"{response.status_code} {body[:120]}")
    elif not response.headers.get("content-type", "").startswith("application/problem+json"):
        tally.problems.append(f"503 as {response.headers.get('content-type')}")
    elif response.json().get("code") != "unavailable" or "Traceback" in body:
        tally.problems.append(f"503 body {body[:120]}")
    elif took > FAST:
        tally.problems.append(f"a refusal took {took:.1f} s")


async def _scanner(
    http: httpx.AsyncClient, gate: dict[str, str], code: str, stop: asyncio.Event, tally: Tally
) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            response = await http.post("/api/v1/gate/scans", json={"code": code}, headers=gate)
        except httpx.TransportError as exc:
            tally.problems.append(f"transport error {type(exc).__name__}")
            await asyncio.sleep(0.2)
            continue
        _judge(response, time.monotonic() - started, tally)
        await asyncio.sleep(0.02)


async def _serving_again(http: httpx.AsyncClient, gate: dict[str, str], code: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < RECOVER_WITHIN:
        answer = await http.post("/api/v1/gate/scans", json={"code": code}, headers=gate)
        if answer.status_code == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{http.base_url} did not serve again in {RECOVER_WITHIN:.0f} s")


async def run(cluster: Cluster) -> tuple[bool, str]:
    first = await cluster.app("app-a")
    second = await cluster.app("app-b")
    pids = {first.pid, second.pid}
    tally = Tally()
    stop = asyncio.Event()
    async with (
        httpx.AsyncClient(base_url=first.base, timeout=20) as a,
        httpx.AsyncClient(base_url=second.base, timeout=20) as b,
    ):
        admin = await scene.admin(a)
        gate = await scene.gate(a, admin)  # one venue: the same code may pass again there
        codes = []
        for _ in range(CLIENTS):
            _, citizen = await scene.citizen(a)
            codes.append(await scene.declare(a, citizen))
        scanners = [
            asyncio.create_task(_scanner(a if i % 2 else b, gate, code, stop, tally))
            for i, code in enumerate(codes)
        ]
        await asyncio.sleep(LOAD_BEFORE)
        before = tally.statuses["200"]
        await asyncio.to_thread(postgres, "stop")
        stopped_at = time.monotonic()
        await asyncio.sleep(DOWN_FOR)
        during = dict(tally.statuses)
        await asyncio.to_thread(postgres, "start")
        await asyncio.to_thread(wait_postgres_ready)
        down = time.monotonic() - stopped_at
        recovered = [await _serving_again(http, gate, codes[0]) for http in (a, b)]
        stop.set()
        await asyncio.gather(*scanners)
        health = [(await http.get("/health")).json() for http in (a, b)]
    problems = list(tally.problems)
    if {first.pid, second.pid} != pids or not (first.alive() and second.alive()):
        problems.append("an app process was restarted or died")
    if during.get("503", 0) == 0:
        problems.append("no 503 while the database was down")
    if any(h.get("database") != "ok" for h in health):
        problems.append(f"/health after recovery: {health}")
    logged = await query(
        cluster.database_url,
        "SELECT id FROM hc_scan WHERE id = ANY($1::text[])",
        tally.acknowledged,
    )
    missing = len(set(tally.acknowledged)) - len(logged)
    if missing:
        problems.append(f"{missing} acknowledged scans missing from the log")
    summary = (
        f"{before} scans before, down {down:.1f} s, {dict(tally.statuses)} in all, "
        f"slowest refusal {tally.slowest_refusal * 1000:.0f} ms, serving again after "
        f"{max(recovered):.1f} s, {len(tally.acknowledged)} acknowledged scans all logged"
    )
    if problems:
        return False, f"{len(problems)} problems, first: {problems[0]} ({summary})"
    return True, summary

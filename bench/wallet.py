"""Wallet holds per second: one hot citizen, and spread over many citizens, on SQLite and
PostgreSQL, through `wallet.service.create_hold` (the guard, the hold row, two ledger
balances and the transfer, in one transaction each).

    .venv/bin/python bench/wallet.py [--holds 3000] [--concurrency 32] [--citizens 500]
        [--postgres postgresql://postgres:postgres@127.0.0.1:5432/postgres]

Each engine runs in a child process on a fresh database: a temporary SQLite file, and, with
`--postgres`, a scratch database created next to the one in the URL and dropped afterwards.
"hot" puts every hold on one citizen (every transaction waits for that citizen's credit-line
row); "spread" deals them round-robin over `--citizens` citizens. Prints holds per second and
the p50 / p99 latency of one hold, and checks that nothing was refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# The child: one engine, one fresh database --------------------------------------------------


_phones = iter(range(10**8))


async def make_citizens(count: int) -> list[str]:
    """Verified citizens with a limit far above what the run holds (refusals would flatter)."""
    from datetime import UTC, datetime

    from app.database import atomic, fetch
    from wallet import service

    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with atomic():
        for citizen_id in ids:
            # A fixture, not a login: identity's real-name flow is not what is measured.
            await fetch(
                "INSERT INTO citizen (id, phone, roles, real_name_verified, created_at) "
                "VALUES ({}, {}, 'citizen', {}, {})",
                citizen_id,
                f"135{next(_phones):08d}",
                True,
                datetime.now(UTC),
            )
    for citizen_id in ids:
        await service.set_credit_limit("bench", citizen_id, 10_000_000_000)
    return ids


async def run_holds(citizens: list[str], holds: int, concurrency: int) -> dict[str, Any]:
    from wallet import service

    latencies: list[float] = []
    refused = 0
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(holds):
        queue.put_nowait(citizens[i % len(citizens)])

    async def worker() -> None:
        nonlocal refused
        while not queue.empty():
            citizen_id = queue.get_nowait()
            started = time.perf_counter()
            try:
                await service.create_hold(citizen_id, "bench", 100, "bench", 3600)
            except Exception:
                refused += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "holds_per_s": round(holds / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "refused": refused,
    }


async def child(args: argparse.Namespace) -> dict[str, Any]:
    from app.cli import _migrate_async
    from app.database import close_engine, get_engine, open_engine
    from app.jobs import InProcessRunner, set_runner

    await open_engine()
    set_runner(InProcessRunner())
    try:
        await _migrate_async()
        hot = await make_citizens(1)
        many = await make_citizens(args.citizens)
        warm = await make_citizens(1)
        await run_holds(warm, 200, args.concurrency)  # connections, caches, JIT of the planner
        return {
            "engine": get_engine().engine_type,
            "hot": await run_holds(hot, args.holds, args.concurrency),
            "spread": await run_holds(many, args.holds, args.concurrency),
        }
    finally:
        await close_engine()


# The parent: a fresh database per engine ----------------------------------------------------


def run_child(env_extra: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="citybrain-bench-") as data_dir:
        env = {
            **os.environ,
            "CITYBRAIN_ENV": "test",
            "CITYBRAIN_DATA_DIR": data_dir,
            "CITYBRAIN_SCHEDULER": "false",
            **env_extra,
        }
        env.pop("REDIS_URL", None)
        command = [sys.executable, __file__, "--child", *_forward(args)]
        # Our own script, with arguments we built: no untrusted input reaches the command.
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"bench child failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def _forward(args: argparse.Namespace) -> list[str]:
    return [
        f"--holds={args.holds}",
        f"--concurrency={args.concurrency}",
        f"--citizens={args.citizens}",
    ]


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def run_postgres(url: str, args: argparse.Namespace) -> dict[str, Any]:
    name = f"citybrain_bench_{uuid.uuid4().hex[:8]}"
    parsed = urlparse(url)
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        return run_child({"DATABASE_URL": urlunparse(parsed._replace(path=f"/{name}"))}, args)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}"'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holds", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to create a scratch db")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args))))
        return
    results = [run_child({"DATABASE_URL": ""}, args)]
    if args.postgres:
        results.append(run_postgres(args.postgres, args))
    print(
        f"{args.holds} holds of 100 fen, concurrency {args.concurrency}, "
        f"spread over {args.citizens} citizens"
    )
    print(f"{'engine':<10} {'workload':<8} {'holds/s':>8} {'p50 ms':>8} {'p99 ms':>8} refused")
    for result in results:
        for workload in ("hot", "spread"):
            r = result[workload]
            print(
                f"{result['engine']:<10} {workload:<8} {r['holds_per_s']:>8} "
                f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['refused']}"
            )


if __name__ == "__main__":
    main()

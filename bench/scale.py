"""Scan latency on a big database against an almost empty one (SQLite or PostgreSQL), one run.

1. An almost empty database: migrate, start the server, create a venue, a gate and
   `--people` citizens over HTTP, and load `POST /api/v1/gate/scans` for `--seconds`.
2. A big one: migrate, then bulk-generate with raw SQL (the server stopped) `--citizens`
   citizens (1,000,000) with a health status each and `--scans` scan records (10,000,000)
   over the last 27 days at 5,000 venues (indexes dropped during the load and rebuilt, as a
   restore would), then the same set-up and load.

    .venv/bin/python bench/scale.py [--citizens 1000000] [--scans 10000000] [--days 27]
                                    [--concurrency 16] [--seconds 10] [--workers 1]
                                    [--redis-url redis://…]
                                    [--database-url postgresql://…/an_empty_database]

On PostgreSQL (`--database-url`, an empty database) both phases use that one database: the
almost empty run first, then the bulk load (the scan log's day partitions created for the
loaded days, indexes dropped and rebuilt), then the big run. The issue's plan is
`--citizens 1000000 --scans 28000000 --days 28`.

Prints p50/p99 latency and throughput of both and the ratios (target: within 1.5×).
The default concurrency is moderate, so that latency measures the work, not a queue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan as scanbench  # noqa: E402  (bench/scan.py)

SCAN_INDEXES = {
    "hc_scan_venue_time": "hc_scan (venue_id, scanned_at)",
    "hc_scan_citizen_time": "hc_scan (citizen_id, scanned_at)",
    "hc_scan_time": "hc_scan (scanned_at)",
    "hc_scan_jti_venue": "hc_scan (jti, venue_id)",
}
BATCH = 1_000_000


def _numbers(count: int, offset: int = 0) -> str:
    return (
        f"WITH RECURSIVE n(i) AS (SELECT {offset} UNION ALL SELECT i + 1 FROM n "
        f"WHERE i < {offset + count - 1}) "
    )


def bulk_generate(path: Path, citizens: int, scans: int, days: int = 27) -> None:
    """Raw SQL into the migrated database file: citizens, statuses, then scans."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    started = time.perf_counter()
    stamp = "2026-01-01 00:00:00+00:00"
    citizen_id = "printf('00000000-0000-4000-8000-%012d', {})"
    db.execute("BEGIN")
    db.execute(
        _numbers(citizens)
        + "INSERT INTO citizen (id, phone, roles, real_name_verified, name_masked, created_at) "
        f"SELECT {citizen_id.format('i')}, printf('15%09d', i), 'citizen', 1, '张*', '{stamp}' "
        "FROM n"
    )
    db.execute(
        _numbers(citizens)
        + "INSERT INTO hc_status (citizen_id, name_masked, colour, rule_id, reason, since, "
        "restart_day, streak, last_checkin_day, updated_at) "
        f"SELECT {citizen_id.format('i')}, '张*', CASE WHEN i % 50 = 0 THEN 'yellow' "
        f"ELSE 'green' END, 'HC-G01', 'No risk declared', '{stamp}', '2026-01-01', 0, NULL, "
        f"'{stamp}' FROM n"
    )
    db.execute("COMMIT")
    print(f"  {citizens:,} citizens and statuses in {time.perf_counter() - started:.0f} s")
    for name in SCAN_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")
    first = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days).total_seconds() / max(1, scans)
    epoch = first.timestamp()
    for offset in range(0, scans, BATCH):
        count = min(BATCH, scans - offset)
        db.execute("BEGIN")
        db.execute(
            _numbers(count, offset)
            + "INSERT INTO hc_scan (id, venue_id, gate_id, citizen_id, jti, source, result, "
            "reason, colour, flagged, scanned_at, recorded_at) "
            "SELECT printf('%08x-0000-4000-8000-%012x', i / 65536, i), "
            "printf('00000000-0000-4000-9000-%012d', i % 5000), "
            "printf('00000000-0000-4000-a000-%012d', i % 5000), "
            f"{citizen_id.format(f'(i * 7919) % {citizens}')}, "
            "lower(hex(randomblob(8))), 'code', 'pass', NULL, 'green', 0, "
            f"strftime('%Y-%m-%d %H:%M:%f', {epoch} + i * {step}, 'unixepoch') || '+00:00', "
            f"strftime('%Y-%m-%d %H:%M:%f', {epoch} + i * {step}, 'unixepoch') || '+00:00' "
            "FROM n"
        )
        db.execute("COMMIT")
        print(f"  {offset + count:,} scans, {time.perf_counter() - started:.0f} s", flush=True)
    for name, target in SCAN_INDEXES.items():
        db.execute(f"CREATE INDEX {name} ON {target}")
        print(f"  index {name}, {time.perf_counter() - started:.0f} s", flush=True)
    db.execute("ANALYZE")
    db.close()


async def checkpoint(db: Any) -> None:
    """Write the load's pages out now: otherwise the checkpoint it triggers runs during the
    measurement (and every first write to a page after it is a full-page image)."""
    try:
        await db.execute("CHECKPOINT")
    except Exception as exc:  # needs superuser or pg_checkpoint: measured without it
        print(f"  no CHECKPOINT ({type(exc).__name__}): the big run may meet one")


async def bulk_generate_pg(url: str, citizens: int, scans: int, days: int) -> None:
    """The same data as `bulk_generate`, with generate_series, into partitioned hc_scan."""
    import asyncpg

    from healthcode.partitions import INDEXES, bounds_sql, day_of, partition_name

    db = await asyncpg.connect(url)
    await db.execute("SET synchronous_commit = off; SET maintenance_work_mem = '1GB'")
    started = time.perf_counter()
    stamp = "'2026-01-01 00:00:00+00'::timestamptz"
    citizen_id = "'00000000-0000-4000-8000-' || lpad(({})::text, 12, '0')"
    await db.execute(
        "INSERT INTO citizen (id, phone, roles, real_name_verified, name_masked, created_at) "
        f"SELECT {citizen_id.format('i')}, '15' || lpad(i::text, 9, '0'), 'citizen', true, "
        f"'张*', {stamp} FROM generate_series(0, {citizens - 1}) i"
    )
    await db.execute(
        "INSERT INTO hc_status (citizen_id, name_masked, colour, rule_id, reason, since, "
        "restart_day, streak, last_checkin_day, updated_at) "
        f"SELECT {citizen_id.format('i')}, '张*', CASE WHEN i % 50 = 0 THEN 'yellow' "
        f"ELSE 'green' END, 'HC-G01', 'No risk declared', {stamp}, '2026-01-01', 0, NULL, "
        f"{stamp} FROM generate_series(0, {citizens - 1}) i"
    )
    print(f"  {citizens:,} citizens and statuses in {time.perf_counter() - started:.0f} s")
    now = datetime.now(UTC)
    first = now - timedelta(days=days)
    day = day_of(first)
    while day <= day_of(now):
        await db.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF hc_scan "
            f"{bounds_sql(day)}"
        )
        day += timedelta(days=1)
    for name in INDEXES:
        await db.execute(f"DROP INDEX IF EXISTS {name}")
    await db.execute("ALTER TABLE hc_scan DROP CONSTRAINT hc_scan_pkey")
    step = timedelta(days=days).total_seconds() / max(1, scans)
    epoch = first.timestamp()
    for offset in range(0, scans, BATCH):
        count = min(BATCH, scans - offset)
        await db.execute(
            "INSERT INTO hc_scan (id, venue_id, gate_id, citizen_id, jti, source, result, "
            "reason, colour, flagged, scanned_at, recorded_at) "
            "SELECT lpad(to_hex(i / 65536), 8, '0') || '-0000-4000-8000-' "
            "|| lpad(to_hex(i), 12, '0'), "
            "'00000000-0000-4000-9000-' || lpad((i % 5000)::text, 12, '0'), "
            "'00000000-0000-4000-a000-' || lpad((i % 5000)::text, 12, '0'), "
            f"{citizen_id.format(f'(i * 7919) % {citizens}')}, "
            "substr(md5(i::text), 1, 16), 'code', 'pass', NULL, 'green', false, "
            f"to_timestamp({epoch} + i * {step}), to_timestamp({epoch} + i * {step}) "
            f"FROM generate_series({offset}::bigint, {offset + count - 1}) i"
        )
        print(f"  {offset + count:,} scans, {time.perf_counter() - started:.0f} s", flush=True)
    await db.execute("ALTER TABLE hc_scan ADD CONSTRAINT hc_scan_pkey PRIMARY KEY (id, scanned_at)")
    for name, columns in INDEXES.items():
        await db.execute(f"CREATE INDEX {name} ON hc_scan {columns}")
        print(f"  index {name}, {time.perf_counter() - started:.0f} s", flush=True)
    await db.execute("VACUUM ANALYZE")
    await checkpoint(db)
    size = await db.fetchval("SELECT pg_database_size(current_database())")
    print(f"big database ({size / 2**30:.1f} GiB)")
    await db.close()


WORKERS = [1]  # server processes: --workers


async def measure(data_dir: str, people: int, concurrency: int, seconds: float) -> scanbench.Result:
    port = scanbench.free_port()
    server = scanbench.start_server(data_dir, port, workers=WORKERS[0])
    try:
        await scanbench.wait_ready(f"http://127.0.0.1:{port}", server)
        scene = await scanbench.build_scene(f"http://127.0.0.1:{port}", people)
        _, scans = await scanbench.measure(
            port, scene, concurrency, seconds, "raw", server_pid=server.pid
        )
        return scans
    finally:
        server.terminate()
        server.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, default=50, help="citizens scanned in the load")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--days", type=int, default=27, help="the scans span this many days")
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument("--redis-url", default=None, help="serve with this Redis")
    args = parser.parse_args()
    WORKERS[0] = args.workers
    if args.redis_url:
        scanbench.ENGINE["REDIS_URL"] = args.redis_url
    if args.database_url:
        await main_pg(args)
        return

    empty = tempfile.mkdtemp(prefix="citybrain-scale-empty-")
    big = tempfile.mkdtemp(prefix="citybrain-scale-big-")
    try:
        scanbench.migrate(empty)
        print("almost empty database")
        small = await measure(empty, args.people, args.concurrency, args.seconds)
        print(" ", small.line())
        scanbench.migrate(big)
        print(f"generating {args.citizens:,} citizens and {args.scans:,} scans in {big}")
        bulk_generate(Path(big) / "citybrain.sqlite3", args.citizens, args.scans, args.days)
        size = (Path(big) / "citybrain.sqlite3").stat().st_size / 2**30
        print(f"big database ({size:.1f} GiB)")
        large = await measure(big, args.people, args.concurrency, args.seconds)
        print(" ", large.line())
    finally:
        shutil.rmtree(empty, ignore_errors=True)
        shutil.rmtree(big, ignore_errors=True)
    compare(small, large)


def compare(small: scanbench.Result, large: scanbench.Result) -> None:
    print(f"throughput big / empty: {large.rate / small.rate:.2f}×")
    for label, p in (("p99", 0.99), ("p50", 0.5)):
        ratio = large.percentile(p) / small.percentile(p)
        print(f"{label} latency big / empty: {ratio:.2f}× (target ≤ 1.2×)")
    print(f"p50 ratio = {large.percentile(0.5) / small.percentile(0.5):.2f}")


async def main_pg(args: argparse.Namespace) -> None:
    """One database: the almost empty run, the bulk load, the big run."""
    os.environ["DATABASE_URL"] = args.database_url  # the migrate and run subprocesses
    data_dir = tempfile.mkdtemp(prefix="citybrain-scale-pg-")  # keys: one for both runs
    try:
        scanbench.migrate(data_dir)
        import asyncpg

        db = await asyncpg.connect(args.database_url)
        await checkpoint(db)
        await db.close()
        print("almost empty database (PostgreSQL)")
        small = await measure(data_dir, args.people, args.concurrency, args.seconds)
        print(" ", small.line())
        print(f"generating {args.citizens:,} citizens and {args.scans:,} scans over {args.days} d")
        await bulk_generate_pg(args.database_url, args.citizens, args.scans, args.days)
        large = await measure(data_dir, args.people, args.concurrency, args.seconds)
        print(" ", large.line())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    compare(small, large)


if __name__ == "__main__":
    asyncio.run(main())

"""Fault drills on the production path: real app processes, arq workers, PostgreSQL and Redis,
and a fault each (a process killed, Redis stopped, PostgreSQL restarted).

    .venv/bin/python bench/drills.py [--database-url postgresql://…/postgres]
                                     [--redis-url redis://…] [--only NAME ...]

Each drill gets a fresh database (created next to the one `--database-url` names), its own
data directory and its own Redis database; the Redis drill starts a redis-server of its own
(as do all when `--redis-url` is not given), since it stops it. Each drill is bounded in time
and prints `drill NAME: passed` (with its figures) or `drill NAME: failed — reason`; the last
line is `N passed, N failed`, and the exit status is 1 if any failed. The PostgreSQL drill
restarts the local cluster (`pg_ctlcluster 15 main restart`): run it on a CI machine, not
beside a database anyone else uses.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.drills import codes, database, money, outbox  # noqa: E402
from bench.drills.procs import (  # noqa: E402
    Cluster,
    RedisServer,
    drop_database,
    fresh_database,
    postgres,
    wait_postgres_ready,
)

Drill = Callable[[Cluster], Awaitable[tuple[bool, str]]]
# name, function, seconds it may take, whether it needs a Redis it may stop
DRILLS: list[tuple[str, Drill, float, bool]] = [
    ("app_killed_mid_payment", money.run, 150, False),
    ("worker_killed_mid_delivery", outbox.worker_killed, 120, False),
    ("redis_down_20s", outbox.redis_down, 120, True),
    ("postgres_restarted", database.run, 120, False),
    ("one_code_two_processes", codes.run, 90, False),
]


def _redis_db(url: str, index: int) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{index}"))


async def _bounded(drill: Drill, cluster: Cluster, seconds: float) -> tuple[bool, str]:
    try:
        return await asyncio.wait_for(drill(cluster), seconds)
    except TimeoutError:
        return False, f"did not finish in {seconds:.0f} s"


def run_one(
    index: int, name: str, drill: Drill, seconds: float, own_redis: bool, args: argparse.Namespace
) -> bool:
    started = time.monotonic()
    database_url = fresh_database(args.database_url)
    redis: RedisServer | None = None
    cluster: Cluster | None = None
    try:
        if own_redis or not args.redis_url:
            redis = RedisServer(Path(tempfile.mkdtemp(prefix="citybrain-drill-redis-")))
            redis.start()
            redis_url = redis.url
        else:
            redis_url = _redis_db(args.redis_url, 1 + index)
        cluster = Cluster(database_url, redis_url)
        cluster.redis = redis
        cluster.migrate()
        ok, detail = asyncio.run(_bounded(drill, cluster, seconds))
    except Exception as exc:  # a drill that breaks is a failed drill, with the reason
        ok, detail = False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if args.verbose:
            traceback.print_exc()
    finally:
        if cluster is not None:
            if args.keep:
                print(f"  (logs kept in {cluster.data_dir})", flush=True)
                cluster.stop_all()
            else:
                cluster.remove()
        if redis is not None:
            redis.stop()
        wait_postgres_ready()
        drop_database(database_url, args.database_url)
    took = time.monotonic() - started
    verdict = "passed" if ok else "failed"
    print(f"drill {name}: {verdict} — {detail} [{took:.0f} s]", flush=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url", default="postgresql://postgres:postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--only", nargs="*", default=None, help="drill names to run")
    parser.add_argument(
        "--keep", action="store_true", help="keep each drill's data directory and logs"
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if urlparse(args.database_url).hostname in ("127.0.0.1", "localhost"):
        try:
            postgres("start")
        except Exception:  # noqa: S110 (already running, or not ours to start)
            pass
        wait_postgres_ready()
    passed = failed = 0
    for index, (name, drill, seconds, own_redis) in enumerate(DRILLS):
        if args.only and name not in args.only:
            continue
        if run_one(index, name, drill, seconds, own_redis, args):
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

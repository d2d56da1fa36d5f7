"""The `citybrain` command: run, migrate, worker, seed-demo, keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


async def _migrate_async() -> None:
    """Apply every domain's Piccolo migrations (piccolo_conf lists them)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
    response = await run_forwards(app_name="all")
    if not response.success:
        raise SystemExit(f"migration failed: {response.message}")


def _migrate() -> None:
    async def go() -> None:
        from app.database import close_engine, open_engine

        await open_engine()
        try:
            await _migrate_async()
        finally:
            await close_engine()

    asyncio.run(go())


def _run(host: str, port: int, workers: int) -> None:
    import uvicorn

    from app.logs import configure_logging

    configure_logging()
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # The client address is decided in one place, app.net (CITYBRAIN_TRUSTED_PROXIES):
        # uvicorn's own default would take X-Forwarded-For from any local peer first.
        proxy_headers=False,
        log_level="info",
        log_config=None,  # uvicorn's records go to the root logger: app.logs formats them
        access_log=False,  # CITYBRAIN_ACCESS_LOG: one line a request, by route template
    )


def _worker() -> None:
    import logging
    import time

    from arq.worker import run_worker
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import WatchError

    from app.logs import configure_logging
    from app.worker import WorkerSettings

    configure_logging()
    try:
        run_worker(WorkerSettings)  # type: ignore[arg-type]
    except (WatchError, RedisConnectionError) as exc:
        # arq's poll loop gives up on a connection lost inside a pipeline (seen in the
        # redis_down_20s drill): start afresh in this same process, so that the worker rides
        # a Redis outage out without a supervisor. Jobs it held are run again (at least once).
        logging.getLogger("citybrain.worker").warning(
            "lost Redis (%s); restarting the worker", type(exc).__name__
        )
        time.sleep(1.0)
        os.execv(sys.executable, [sys.executable, "-m", "app.cli", "worker"])  # noqa: S606


def _seed_demo() -> None:
    from app.demo import seed_demo

    asyncio.run(seed_demo())


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="citybrain", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the API")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("WEB_CONCURRENCY", "1"),  # a string: checked by `type`
        help="server processes sharing the port (default 1, or WEB_CONCURRENCY)",
    )
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("worker", help="run an arq worker (needs REDIS_URL)")
    sub.add_parser("seed-demo", help="load demo venues, gates and citizens")
    keys = sub.add_parser("keys", help="health-code signing keys")
    keys.add_argument("action", choices=["rotate"])
    codes = sub.add_parser("codes", help="health codes of any trusted issuer")
    from recognition.cli import add_parser as add_codes_parser

    add_codes_parser(codes.add_subparsers(dest="codes_command", required=True))
    args = parser.parse_args(argv)

    from app.settings import SettingsError, get_settings

    try:
        get_settings()
    except SettingsError as exc:
        sys.exit(f"citybrain: {exc}")

    if args.command == "run":
        _run(args.host, args.port, args.workers)
    elif args.command == "migrate":
        _migrate()
    elif args.command == "worker":
        if not get_settings().redis_url:
            sys.exit("citybrain worker needs REDIS_URL")
        _worker()
    elif args.command == "seed-demo":
        _seed_demo()
    elif args.command == "keys":
        from healthcode.keys import rotate_command

        asyncio.run(rotate_command())
    elif args.command == "codes":
        from recognition.cli import verify_command

        sys.exit(verify_command(args.trust_list, args.at, args.code))


if __name__ == "__main__":
    main()

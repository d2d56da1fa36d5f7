"""Piccolo's stock `SQLiteEngine` against `app.database.CityBrainSQLiteEngine`, in one run.

The stock engine opens a new aiosqlite connection (and so a thread) for every statement outside
a transaction and for every transaction; ours keeps one writer connection and a few readers.
Two levels, each run once per engine on a fresh database file:

- engine: `SELECT 1` queries and small write transactions (one INSERT), awaited directly with
  bounded concurrency;
- http: a tiny Litestar app served by uvicorn in a subprocess, one endpoint per workload, loaded
  from this process over keep-alive connections, one per concurrent client (a minimal HTTP/1.1
  client: on a small machine httpx itself, sharing the CPU, would be what is measured).

    .venv/bin/python bench/db.py [--requests 3000] [--concurrency 32]

Prints requests (or operations) per second per engine, the ratio, and any errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from piccolo.engine.sqlite import SQLiteEngine, TransactionType  # noqa: E402
from piccolo.querystring import QueryString  # noqa: E402

from app.database import CityBrainSQLiteEngine  # noqa: E402

ENGINES = ("stock", "citybrain")
BUSY_TIMEOUT_S = 5.0


def make_engine(kind: str, path: str) -> SQLiteEngine:
    if kind == "stock":
        return SQLiteEngine(path=path, timeout=BUSY_TIMEOUT_S)
    return CityBrainSQLiteEngine(path)


async def select_one(engine: SQLiteEngine) -> None:
    rows = await engine.run_querystring(QueryString("SELECT 1 AS one"))
    assert rows[0]["one"] == 1


async def write_transaction(engine: SQLiteEngine) -> None:
    # IMMEDIATE for both: a deferred read-then-write transaction would fail on lock upgrade.
    async with engine.transaction(transaction_type=TransactionType.immediate):
        await engine.run_querystring(
            QueryString("INSERT INTO hit (at, note) VALUES ({}, {})", time.time(), "bench")
        )


async def prepare(engine: SQLiteEngine) -> None:
    await engine.run_ddl(
        "CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, at REAL NOT NULL, note TEXT)"
    )


async def close(engine: SQLiteEngine) -> None:
    if isinstance(engine, CityBrainSQLiteEngine):
        await engine.close()


@dataclass
class Result:
    per_second: float
    errors: int
    first_error: str = ""


async def bounded(operation: Callable[[], Awaitable[None]], total: int, concurrency: int) -> Result:
    """Run `operation` `total` times, at most `concurrency` at once; operations per second."""
    remaining = total
    errors: list[str] = []

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            try:
                await operation()
            except Exception as exc:  # counted and reported, not fatal to the benchmark
                errors.append(f"{type(exc).__name__}: {exc}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Result(total / elapsed, len(errors), errors[0] if errors else "")


# Engine level ------------------------------------------------------------------------------


async def engine_level(
    kind: str, directory: str, total: int, concurrency: int
) -> dict[str, Result]:
    engine = make_engine(kind, os.path.join(directory, f"engine-{kind}.sqlite3"))
    await prepare(engine)
    try:
        await bounded(lambda: select_one(engine), 200, concurrency)  # warm up
        return {
            "engine: SELECT 1": await bounded(lambda: select_one(engine), total, concurrency),
            "engine: write transaction": await bounded(
                lambda: write_transaction(engine), total // 3, concurrency
            ),
        }
    finally:
        await close(engine)


# HTTP level --------------------------------------------------------------------------------


def build_app(kind: str, path: str) -> Any:
    from litestar import Litestar, get, post

    engine = make_engine(kind, path)

    @get("/read")
    async def read() -> dict[str, int]:
        await select_one(engine)
        return {"one": 1}

    @post("/write", status_code=200)
    async def write() -> dict[str, bool]:
        await write_transaction(engine)
        return {"ok": True}

    async def startup() -> None:
        await prepare(engine)

    async def shutdown() -> None:
        await close(engine)

    return Litestar([read, write], on_startup=[startup], on_shutdown=[shutdown])


def serve(kind: str, path: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        build_app(kind, path), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class KeepAlive:
    """One HTTP/1.1 keep-alive connection to the local server; just enough to load it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str) -> None:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        await self.reader.readexactly(int(length.group(1)) if length else 0)
        if status != 200:
            raise RuntimeError(f"{method} {path} answered {status}")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(port: int, method: str, path: str, total: int, concurrency: int) -> Result:
    connections = [KeepAlive(port) for _ in range(concurrency)]
    free: asyncio.Queue[KeepAlive] = asyncio.Queue()
    for connection in connections:
        free.put_nowait(connection)

    async def one() -> None:
        connection = await free.get()
        try:
            await connection.request(method, path)
        except Exception:
            connection.close()
            connection = KeepAlive(port)
            raise
        finally:
            free.put_nowait(connection)

    try:
        return await bounded(one, total, concurrency)
    finally:
        for connection in connections:
            connection.close()


async def wait_ready(port: int, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(200):
            if server.returncode is not None:
                raise RuntimeError("the benchmark server exited")
            try:
                if (await http.get("/read")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


async def http_level(kind: str, directory: str, total: int, concurrency: int) -> dict[str, Result]:
    port = free_port()
    path = os.path.join(directory, f"http-{kind}.sqlite3")
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", kind, "--db", path, "--port", str(port)
    )
    try:
        await wait_ready(port, server)
        await load(port, "GET", "/read", 200, concurrency)  # warm up
        return {
            "http: GET running SELECT 1": await load(port, "GET", "/read", total, concurrency),
            "http: POST, one write transaction": await load(
                port, "POST", "/write", total // 3, concurrency
            ),
        }
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=10)


# Report ------------------------------------------------------------------------------------


def report(results: dict[str, dict[str, Result]], total: int, concurrency: int) -> None:
    print(f"\n{total} reads and {total // 3} writes per workload, concurrency {concurrency}\n")
    print(f"{'workload':40} {'stock /s':>10} {'citybrain /s':>13} {'ratio':>7}")
    for workload in results["stock"]:
        stock, ours = results["stock"][workload], results["citybrain"][workload]
        ratio = ours.per_second / stock.per_second if stock.per_second else float("inf")
        print(f"{workload:40} {stock.per_second:10.0f} {ours.per_second:13.0f} {ratio:6.1f}x")
        for kind, result in (("stock", stock), ("citybrain", ours)):
            if result.errors:
                print(f"    {kind}: {result.errors} errors, e.g. {result.first_error[:120]}")


async def main(total: int, concurrency: int) -> None:
    results: dict[str, dict[str, Result]] = {kind: {} for kind in ENGINES}
    with tempfile.TemporaryDirectory(prefix="citybrain-bench-") as directory:
        for kind in ENGINES:
            results[kind].update(await engine_level(kind, directory, total, concurrency))
        for kind in ENGINES:
            results[kind].update(await http_level(kind, directory, total, concurrency))
    report(results, total, concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--serve", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
    else:
        asyncio.run(main(args.requests, args.concurrency))

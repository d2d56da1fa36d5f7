"""Gate-scan throughput and latency against a running server, beside its trivial endpoint.

Starts `citybrain run` (dev environment, SQLite in a fresh temporary directory unless
`--data-dir` or DATABASE_URL say otherwise), creates a venue, a gate and `--citizens`
declared citizens over HTTP, then loads, with `--concurrency` keep-alive connections for
`--seconds` each:

- `GET /health/live` (touches nothing: the framework's own ceiling on this machine);
- `POST /api/v1/gate/scans` with real codes (each scan verifies an ES256 code, reads the
  colour, decides and commits a scan record before answering).

    .venv/bin/python bench/scan.py [--concurrency 64] [--seconds 10] [--client raw|httpx]
        [--workers N] [--database-url postgresql://…] [--redis-url redis://…]

The default client is a minimal HTTP/1.1 keep-alive client on asyncio streams, because on a
small machine httpx, sharing the CPU with the server, is itself much of what gets measured;
`--client httpx` uses an httpx.AsyncClient with a pool of `--concurrency` connections.
Prints requests per second, p50 and p99 latency for both and the ratio of the two rates; the
last line is that ratio alone, `scan/live = 0.NN`, for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.idcard import check_digit  # noqa: E402

ADMIN_PHONE = "19900000009"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


ENGINE: dict[str, str] = {}  # DATABASE_URL / REDIS_URL from --database-url / --redis-url


def server_env(data_dir: str) -> dict[str, str]:
    env = {**os.environ, **ENGINE}
    env.update(
        CITYBRAIN_ENV="dev",
        CITYBRAIN_DATA_DIR=data_dir,
        CITYBRAIN_ADMIN_PHONES=ADMIN_PHONE,
        CITYBRAIN_AUTH_RATE_PER_CLIENT="100000000",
        CITYBRAIN_OTP_RATE_PER_PHONE="100000",
    )
    return env


def data_dir_for(database_url: str) -> str:
    """The dev keys a database was written with live in a data dir of its own (`var/bench/`):
    a second run on the same database opens what the first sealed."""
    import hashlib

    path = ROOT / "var" / "bench" / hashlib.sha256(database_url.encode()).hexdigest()[:12]
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def migrate(data_dir: str) -> None:
    subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "-m", "app.cli", "migrate"],
        env=server_env(data_dir),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def start_server(data_dir: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own CLI)
        [sys.executable, "-m", "app.cli", "run", "--port", str(port), "--workers", str(workers)],
        env=server_env(data_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit("the server exited at start-up")
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


# Set-up over HTTP ------------------------------------------------------------------------


async def login(http: httpx.AsyncClient, phone: str) -> dict[str, str]:
    sent = await http.post("/api/v1/auth/otp", json={"phone": phone})
    sent.raise_for_status()
    token = await http.post(
        "/api/v1/auth/token", json={"phone": phone, "code": sent.json()["dev_code"]}
    )
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass
class Scene:
    gate_headers: dict[str, str]
    citizens: list[dict[str, str]] = field(default_factory=list)

    async def codes(self, http: httpx.AsyncClient) -> list[str]:
        """A fresh code per citizen (codes live 90 s: fetch them right before a run)."""
        out = []
        for headers in self.citizens:
            status = await http.get("/api/v1/healthcode", headers=headers)
            status.raise_for_status()
            out.append(status.json()["code"])
        return out


async def build_scene(base: str, citizens: int) -> Scene:
    rng = random.Random()  # fresh phones and ID numbers, so a --port server can be reused
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        admin = await login(http, ADMIN_PHONE)
        venue = await http.post(
            "/api/v1/admin/venues",
            json={
                "name": "基准地铁站",
                "kind": "metro",
                "region_code": "330106",
                "address": "杭州",
            },
            headers=admin,
        )
        venue.raise_for_status()
        gate = await http.post(
            f"/api/v1/admin/venues/{venue.json()['id']}/gates",
            json={"name": "bench"},
            headers=admin,
        )
        gate.raise_for_status()
        token = await http.post("/api/v1/gate/token", json=gate.json())
        token.raise_for_status()
        scene = Scene({"Authorization": f"Bearer {token.json()['access_token']}"})
        for _ in range(citizens):
            phone = f"13{rng.randrange(10**9):09d}"
            headers = await login(http, phone)
            birth = f"{rng.randrange(1960, 2005)}0{rng.randrange(1, 10)}1{rng.randrange(10)}"
            first17 = f"330106{birth}{rng.randrange(1000):03d}"
            number = first17 + check_digit(first17)
            verified = await http.post(
                "/api/v1/me/real-name", json={"name": "测试", "id_number": number}, headers=headers
            )
            if verified.status_code != 200:
                continue  # a rare random ID collision: skip this one
            declared = await http.post(
                "/api/v1/healthcode/declarations",
                json={
                    "temperature_c": 36.5,
                    "symptoms": [],
                    "visited_regions": [],
                    "close_contact": False,
                },
                headers=headers,
            )
            declared.raise_for_status()
            scene.citizens.append(headers)
    return scene


# Load ------------------------------------------------------------------------------------


class RawConnection:
    """One keep-alive HTTP/1.1 connection: write a request, read one response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def raw_request(method: str, path: str, headers: dict[str, str], body: Any = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def server_cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) of the server and its worker processes so far, on Linux."""
    if pid is None or not Path(f"/proc/{pid}").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    errors: int
    statuses: dict[str, int]
    server_cpu: float | None = None  # seconds of server CPU spent during the load

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    @property
    def cpu_per_request(self) -> str:
        if self.server_cpu is None or not self.latencies:
            return ""
        return f"   server CPU {1e6 * self.server_cpu / len(self.latencies):5.0f} µs/req"

    def line(self) -> str:
        return (
            f"{self.name:28} {self.rate:8.0f} req/s   p50 {self.percentile(0.5):6.1f} ms   "
            f"p99 {self.percentile(0.99):6.1f} ms   errors {self.errors}{self.cpu_per_request}"
            f"   {self.statuses}"
        )


Send = Callable[[int, int], Awaitable[tuple[int, str]]]


async def run_load(
    name: str, send: Send, concurrency: int, seconds: float, server_pid: int | None = None
) -> Result:
    """`concurrency` workers each send requests back to back for `seconds`."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status, outcome = await send(index, n)
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors += 1
            statuses[outcome] = statuses.get(outcome, 0) + 1
            n += 1

    cpu_before = server_cpu_seconds(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu_after = server_cpu_seconds(server_pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Result(name, elapsed, latencies, errors, statuses, cpu)


def senders(
    kind: str, port: int, concurrency: int, gate: dict[str, str], codes: list[str]
) -> tuple[Send, Send, Callable[[], Awaitable[None]]]:
    if kind == "httpx":
        http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            timeout=30,
        )

        async def live(_: int, __: int) -> tuple[int, str]:
            r = await http.get("/health/live")
            return r.status_code, "ok"

        async def scan(index: int, n: int) -> tuple[int, str]:
            code = codes[(index * 7919 + n) % len(codes)]
            r = await http.post("/api/v1/gate/scans", json={"code": code}, headers=gate)
            return r.status_code, r.json().get("result", "error")

        return live, scan, http.aclose

    connections = [RawConnection(port) for _ in range(concurrency)]
    live_request = raw_request("GET", "/health/live", {})
    scan_requests = [raw_request("POST", "/api/v1/gate/scans", gate, {"code": c}) for c in codes]

    async def raw_live(index: int, _: int) -> tuple[int, str]:
        status, _body = await connections[index].send(live_request)
        return status, "ok"

    async def raw_scan(index: int, n: int) -> tuple[int, str]:
        request = scan_requests[(index * 7919 + n) % len(scan_requests)]
        status, body = await connections[index].send(request)
        return status, json.loads(body).get("result", "error")

    async def close() -> None:
        for connection in connections:
            connection.close()

    return raw_live, raw_scan, close


def progress(phase: str) -> None:
    """Phases on stderr, so a profiler can be attached to the right one."""
    print(f"[{time.strftime('%H:%M:%S')}] {phase}", file=sys.stderr, flush=True)


async def measure(
    port: int,
    scene: Scene,
    concurrency: int,
    seconds: float,
    client: str,
    server_pid: int | None = None,
) -> tuple[Result, Result]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        codes = await scene.codes(http)
    live, scan, close = senders(client, port, concurrency, scene.gate_headers, codes)
    try:
        progress("warm-up")
        await run_load("warm-up", scan, concurrency, min(2.0, seconds))
        progress("loading GET /health/live")
        trivial = await run_load("GET /health/live", live, concurrency, seconds, server_pid)
        progress("loading POST /api/v1/gate/scans")
        scans = await run_load("POST /api/v1/gate/scans", scan, concurrency, seconds, server_pid)
    finally:
        await close()
    return trivial, scans


def engine_name() -> str:
    url = server_env("").get("DATABASE_URL", "")
    return "PostgreSQL" if url.startswith(("postgres://", "postgresql://")) else "SQLite"


def report(trivial: Result, scans: Result) -> None:
    target = "20%" if engine_name() == "PostgreSQL" else "25%"
    print(trivial.line())
    print(scans.line())
    print(
        f"scans reach {100 * scans.rate / trivial.rate:.1f}% of the trivial endpoint's rate "
        f"(target ≥ {target}); scan p99 {scans.percentile(0.99):.1f} ms (target < 50 ms)"
    )
    print(f"scan/live = {scans.rate / trivial.rate:.2f}")  # the machine-readable last line


async def run_against(args: argparse.Namespace, port: int, server_pid: int | None = None) -> None:
    scene = await build_scene(f"http://127.0.0.1:{port}", args.citizens)
    print(
        f"{len(scene.citizens)} citizens, {args.concurrency} connections, "
        f"{args.seconds:.0f} s per endpoint, client {args.client}, "
        f"{args.workers} server process{'es' if args.workers > 1 else ''}, "
        f"database {engine_name()}{' + Redis' if server_env('').get('REDIS_URL') else ''}"
    )
    report(*await measure(port, scene, args.concurrency, args.seconds, args.client, server_pid))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument("--data-dir", default=None, help="default: a fresh temporary directory")
    parser.add_argument(
        "--database-url", default=None, help="serve from this PostgreSQL (migrated first)"
    )
    parser.add_argument("--redis-url", default=None, help="and with this Redis")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="load a server already running on this port (its CITYBRAIN_ADMIN_PHONES must "
        f"include {ADMIN_PHONE}, for instance to profile it) instead of starting one",
    )
    args = parser.parse_args()
    if args.database_url:
        ENGINE["DATABASE_URL"] = args.database_url
    if args.redis_url:
        ENGINE["REDIS_URL"] = args.redis_url
    if args.port is not None:
        await run_against(args, args.port)
        return
    # A PostgreSQL database keeps keys sealed with this data dir's dev keys: one dir per URL.
    kept = args.data_dir or (data_dir_for(args.database_url) if args.database_url else None)
    data_dir = kept or tempfile.mkdtemp(prefix="citybrain-bench-")
    migrate(data_dir)
    port = free_port()
    server = start_server(data_dir, port, args.workers)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", server)
        await run_against(args, port, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if kept is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

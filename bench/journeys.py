"""Server-side time of the 30-second hotel check-in and the 20-second park entry.

Starts the app (dev environment, SQLite in a fresh temporary directory) under uvicorn in a
subprocess, wrapped in a thin ASGI timer that records, for the two measured calls, the time
from the request reaching the app to the last byte of its answer: the server-side time,
without the network or this client. Over HTTP it then sets up a hotel (a front desk, a room
type, a room per request), a park (a turnstile, a slot open now), and `rate × seconds`
verified citizens with a green code, and loads each call open loop: one request every
1/`rate` seconds whatever the answers, each a different guest, a fresh Idempotency-Key.

    .venv/bin/python bench/journeys.py [--rate 100] [--seconds 20] [--workers 1]
        [--database-url postgresql://…] [--redis-url redis://…]

Prints, per call, p50 and p99 of the server-side time and of the client-side latency, the
rate achieved, the server's CPU time per request (all its work, background jobs included,
over the run: a figure that other load on the machine does not inflate) and the statuses.
The target is p99 < 100 ms: the 30 and 20 seconds belong to the person, not to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.idcard import check_digit  # noqa: E402

ADMIN_PHONE = "19900000009"
TIMED = {
    "/api/v1/miniapps/hotel/check-ins": "hotel check-in",
    "/api/v1/miniapps/park/entries": "park entry",
}
TIMINGS_PATH = "/__bench/timings"

# The server side ------------------------------------------------------------------------------

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def timed(app: ASGIApp) -> ASGIApp:
    """Record (path, status, seconds) of the measured POSTs; serve them at TIMINGS_PATH."""
    records: list[tuple[str, int, float]] = []

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path == TIMINGS_PATH:
            body = json.dumps({"records": records, "cpu": time.process_time()}).encode()
            records.clear()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http" or path not in TIMED or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        started, status = time.perf_counter(), 0

        async def timed_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                records.append((path, status, time.perf_counter() - started))

        await app(scope, receive, timed_send)

    return wrapper


def serve(port: int) -> None:
    import uvicorn

    from app.asgi import app

    uvicorn.run(timed(app), host="127.0.0.1", port=port, log_level="warning", access_log=False)


ENGINE: dict[str, str] = {}  # DATABASE_URL / REDIS_URL from --database-url / --redis-url


def server_env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # SQLite unless --database-url says otherwise
    env.pop("REDIS_URL", None)
    env.update(ENGINE)
    env.update(
        CITYBRAIN_ENV="dev",
        CITYBRAIN_DATA_DIR=data_dir,
        CITYBRAIN_ADMIN_PHONES=ADMIN_PHONE,
        CITYBRAIN_AUTH_RATE_PER_CLIENT="100000000",
        CITYBRAIN_OTP_RATE_PER_PHONE="100000",
        CITYBRAIN_MINIAPPS="all",
    )
    return env


def start_server(data_dir: str, port: int) -> subprocess.Popen[bytes]:
    env = server_env(data_dir)
    subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return subprocess.Popen(  # noqa: S603 (this very script)
        [sys.executable, __file__, "--serve", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


async def wait_ready(http: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
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


# Set-up over HTTP -----------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ok(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    answered = await response
    if answered.status_code >= 300:
        raise SystemExit(f"set-up failed: {answered.request.url} {answered.text[:300]}")
    body: dict[str, Any] = answered.json()
    return body


async def login(http: httpx.AsyncClient, phone: str) -> dict[str, str]:
    sent = await ok(http.post("/api/v1/auth/otp", json={"phone": phone}))
    token = await ok(
        http.post("/api/v1/auth/token", json={"phone": phone, "code": sent["dev_code"]})
    )
    return bearer(token["access_token"])


async def device(http: httpx.AsyncClient, admin: dict[str, str], kind: str) -> dict[str, str]:
    venue = await ok(
        http.post(
            "/api/v1/admin/venues",
            json={"name": f"基准{kind}", "kind": kind, "region_code": "330106", "address": "杭州"},
            headers=admin,
        )
    )
    gate = await ok(
        http.post(f"/api/v1/admin/venues/{venue['id']}/gates", json={"name": "b"}, headers=admin)
    )
    return bearer((await ok(http.post("/api/v1/gate/token", json=gate)))["access_token"])


def id_number(index: int) -> str:
    """A valid resident ID, distinct for each index below 3,600,000."""
    year, month, day = 1960 + index % 40, 1 + index // 40 % 9, 10 + index // 360 % 10
    first17 = f"330106{year}{month:02d}{day}{index // 3600 % 1000:03d}"
    return first17 + check_digit(first17)


async def citizen(http: httpx.AsyncClient, index: int) -> dict[str, str]:
    headers = await login(http, f"13{index:09d}")
    number = id_number(index)
    await ok(
        http.post(
            "/api/v1/me/real-name", json={"name": "测试", "id_number": number}, headers=headers
        )
    )
    await ok(
        http.post(
            "/api/v1/healthcode/declarations",
            json={"temperature_c": 36.5, "symptoms": [], "visited_regions": []},
            headers=headers,
        )
    )
    return headers


async def bounded(jobs: list[Callable[[], Awaitable[Any]]], width: int = 16) -> list[Any]:
    gate = asyncio.Semaphore(width)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def scene(http: httpx.AsyncClient, people: int) -> dict[str, Any]:
    admin = await login(http, ADMIN_PHONE)
    desk, turnstile = await device(http, admin, "hotel"), await device(http, admin, "park")
    hotel = "/api/v1/miniapps/hotel/hotel"
    await ok(http.put(hotel, json={"name": "基准酒店", "incidentals": 10_000}, headers=desk))
    kind = await ok(
        http.post(f"{hotel}/room-types", json={"name": "标间", "rate": 30_000}, headers=desk)
    )
    await bounded(
        [
            lambda n=n: ok(
                http.post(
                    f"{hotel}/rooms",
                    json={"room_type_id": kind["id"], "number": f"R{n}"},
                    headers=desk,
                )
            )
            for n in range(people)
        ]
    )
    park = "/api/v1/miniapps/park/park"
    await ok(http.put(park, json={"name": "基准公园", "ticket": 2_000}, headers=turnstile))
    start = time.time() - 600
    await ok(
        http.post(
            f"{park}/slots",
            json={
                "starts_at": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(start)),
                "ends_at": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(start + 6 * 3600)),
                "capacity": people,
            },
            headers=turnstile,
        )
    )
    citizens = await bounded([lambda i=i: citizen(http, i) for i in range(people)])
    return {"desk": desk, "turnstile": turnstile, "room_type": kind["id"], "citizens": citizens}


async def codes(http: httpx.AsyncClient, citizens: list[dict[str, str]]) -> list[str]:
    """Fresh codes (they live 90 s: fetched right before each run)."""
    answers = await bounded(
        [lambda c=c: ok(http.get("/api/v1/healthcode", headers=c)) for c in citizens]
    )
    return [answer["code"] for answer in answers]


# Load -----------------------------------------------------------------------------------------


async def open_loop(
    servers: list[httpx.AsyncClient],
    path: str,
    bodies: list[dict[str, Any]],
    headers: dict[str, str],
    rate: float,
) -> tuple[list[float], dict[int, int], float]:
    """Send bodies[i] at t0 + i / rate (to the servers in turn), whatever came back; client
    latencies and statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(http: httpx.AsyncClient, body: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            response = await http.post(
                path, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
            )
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1

    t0 = time.perf_counter()
    tasks = []
    for i, body in enumerate(bodies):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(servers[i % len(servers)], body)))
    await asyncio.gather(*tasks)
    return latencies, statuses, len(bodies) / (time.perf_counter() - t0)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


async def measure(servers: list[httpx.AsyncClient], world: dict[str, Any], rate: float) -> None:
    http = servers[0]
    plans = (
        (
            "/api/v1/miniapps/hotel/check-ins",
            world["desk"],
            lambda code: {"code": code, "room_type_id": world["room_type"], "nights": 1},
        ),
        ("/api/v1/miniapps/park/entries", world["turnstile"], lambda code: {"code": code}),
    )
    for path, headers, body in plans:
        fresh = await codes(http, world["citizens"])
        before = [await ok(s.get(TIMINGS_PATH)) for s in servers]  # forget the set-up's
        client, statuses, achieved = await open_loop(
            servers, path, [body(code) for code in fresh], headers, rate
        )
        after = [await ok(s.get(TIMINGS_PATH)) for s in servers]
        server = [seconds for timings in after for _, _, seconds in timings["records"]]
        used = sum(a["cpu"] - b["cpu"] for a, b in zip(after, before, strict=True))
        cpu = used * 1000 / max(1, len(server))
        print(
            f"{TIMED[path]:15} {len(client)} requests at {achieved:5.1f}/s   "
            f"server p50 {pct(server, 0.5):6.1f} ms  p99 {pct(server, 0.99):6.1f} ms   "
            f"(server CPU {cpu:4.1f} ms a request)   "
            f"client p50 {pct(client, 0.5):6.1f} ms  p99 {pct(client, 0.99):6.1f} ms   "
            f"statuses {statuses}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument(
        "--database-url", default=None, help="serve from this PostgreSQL (migrated first)"
    )
    parser.add_argument("--redis-url", default=None, help="and with this Redis")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes, each on its own port"
    )
    args = parser.parse_args()
    if args.database_url:
        ENGINE["DATABASE_URL"] = args.database_url
    if args.redis_url:
        ENGINE["REDIS_URL"] = args.redis_url
    engine = "PostgreSQL" if "DATABASE_URL" in ENGINE else "SQLite"
    print(f"database {engine}{' + Redis' if 'REDIS_URL' in ENGINE else ''}", flush=True)
    people = int(args.rate * args.seconds)
    with contextlib.ExitStack() as stack:
        if args.database_url:  # its sealed keys stay readable across runs (bench/scan.py)
            from bench.scan import data_dir_for

            data_dir = data_dir_for(args.database_url)
        else:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="citybrain-j-"))
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        started: list[subprocess.Popen[bytes]] = []
        try:
            async with contextlib.AsyncExitStack() as clients:
                servers = []
                for _ in range(max(1, args.workers)):
                    port = free_port()
                    started.append(start_server(data_dir, port))
                    http = await clients.enter_async_context(
                        httpx.AsyncClient(
                            base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits
                        )
                    )
                    await wait_ready(http, started[-1])
                    servers.append(http)
                print(f"setting up a hotel, a park and {people} citizens...", flush=True)
                world = await scene(servers[0], people)
                await measure(servers, world, args.rate)
        finally:
            for server in started:
                server.terminate()
                server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        asyncio.run(main())

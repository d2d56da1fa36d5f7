"""The processes a drill starts: a fresh PostgreSQL database, Redis, app processes, workers.

Every process is started here, in a session of its own, and stopped by its own PID (its
process group, for the children it may have: the health-code checker). Nothing is ever
killed by name.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PHONE = "19900000007"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _su_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True)  # noqa: S603,S607


def fresh_database(base_url: str) -> str:
    """Create `citybrain_drill_<random>` next to the database `base_url` names; its URL."""
    name = f"citybrain_drill_{uuid.uuid4().hex[:10]}"
    try:
        _su_postgres(f"createdb {name}")
    except (subprocess.CalledProcessError, FileNotFoundError):
        # Not on the database host (or no `su`): ask the server itself.
        async def create() -> None:
            conn = await asyncpg.connect(base_url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
    return urlunparse(urlparse(base_url)._replace(path=f"/{name}"))


def drop_database(url: str, base_url: str) -> None:
    name = urlparse(url).path.lstrip("/")

    async def drop() -> None:
        conn = await asyncpg.connect(base_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        asyncio.run(drop())
    except Exception as exc:  # a left-over database is untidy, not a failed drill
        print(f"(could not drop {name}: {type(exc).__name__})", flush=True)


def postgres(action: str) -> None:
    """`pg_ctlcluster 15 main <action>`: the CI machine's own cluster."""
    subprocess.run(["pg_ctlcluster", "15", "main", action], check=True, capture_output=True)  # noqa: S603,S607


def wait_postgres_ready(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q"], check=False).returncode == 0:  # noqa: S603,S607
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come back")


class RedisServer:
    """A redis-server of our own on a spare port, stopped and started by the drills."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL to this process alone (its checker child notices its parent is gone)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, SIGKILL after 10 s; then whatever is left of its own process group (it was
        started in a session of its own, so the group id is its PID)."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Cluster:
    """One drill's deployment: a database, a Redis, the data directory its processes share."""

    database_url: str
    redis_url: str
    data_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="citybrain-drill-"))
    )
    procs: list[Proc] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    redis: RedisServer | None = None  # set when the drill may stop and start Redis

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CITYBRAIN_ENV="dev",  # dev: `dev_code` in the OTP answer, loopback webhooks
            CITYBRAIN_DATA_DIR=str(self.data_dir),  # one set of generated keys for every process
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CITYBRAIN_JOBS="arq",
            CITYBRAIN_ADMIN_PHONES=ADMIN_PHONE,
            CITYBRAIN_AUTH_RATE_PER_CLIENT="100000000",
            CITYBRAIN_OTP_RATE_PER_PHONE="100000",
            CITYBRAIN_GATE_RATE_PER_CLIENT="100000000",
            CITYBRAIN_APP_SEND_LIMIT="100000",
            CITYBRAIN_LOG_FORMAT="json",
            CITYBRAIN_LOG_LEVEL="WARNING",
            # Quick recovery, so that each drill fits in well under a minute or two:
            CITYBRAIN_JOB_TIMEOUT="3",
            CITYBRAIN_WEBHOOK_TIMEOUT="2",
            CITYBRAIN_NOTIFY_RETRY_BASE="1",
            CITYBRAIN_NOTIFY_SWEEP_EVERY="2",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def _spawn(self, name: str, args: list[str], port: int | None, **env: str) -> Proc:
        log = self.data_dir / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 (our own CLI)
                [sys.executable, "-m", "app.cli", *args],
                env=self.env(**env),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, process, log, port)
        self.procs.append(proc)
        return proc

    def migrate(self) -> None:
        done = subprocess.run(  # noqa: S603 (our own CLI)
            [sys.executable, "-m", "app.cli", "migrate"],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed: {done.stderr.decode(errors='replace')[-500:]}")

    async def app(self, name: str, **env: str) -> Proc:
        port = free_port()
        proc = self._spawn(name, ["run", "--port", str(port)], port, **env)
        await wait_live(proc)
        return proc

    def worker(self, name: str, **env: str) -> Proc:
        return self._spawn(name, ["worker"], None, **env)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()

    def remove(self) -> None:
        self.stop_all()
        shutil.rmtree(self.data_dir, ignore_errors=True)


async def wait_live(proc: Proc, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=proc.base, timeout=2) as http:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited at start-up: {proc.log_text()[-800:]}")
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not start")


async def query(database_url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Read the drill's database directly (the checks after a drill)."""
    conn = await asyncpg.connect(database_url)
    try:
        return [dict(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()

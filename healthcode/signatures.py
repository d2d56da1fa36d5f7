"""ES256 checks of presented codes, in a process of their own.

A code's signature check (about 45 µs in OpenSSL) costs more than everything else a scan does
on the event loop, and the loop has one core. So the app starts a checker process
(`healthcode.signature_worker`) and sends it the checks in batches over a pipe: the loop goes
on with other requests meanwhile, a batch costs two pipe writes and no thread (a thread would
need the GIL back after every check). Every signature is still checked, and the
answer arrives in order.

If the process is not running (not started, `CITYBRAIN_CODE_VERIFIER=inline`, or died: it is
started again a second later), or a check comes from another event loop, the check runs
inline: slower, never wrong.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.settings import get_settings
from healthcode import signature_worker as wire

log = logging.getLogger("citybrain.healthcode")
RESTART_AFTER_SECONDS = 1.0
BATCH_MAX = 8  # measured: 4 and unbounded batches both did worse (bench/scan.py)

_points: dict[str, bytes] = {}  # kid → the key's uncompressed point (what the process gets)


def _point(kid: str, key: ec.EllipticCurvePublicKey) -> bytes:
    point = _points.get(kid)
    if point is None:
        if len(_points) > 64:
            _points.clear()
        point = _points[kid] = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return point


@dataclass
class _Check:
    key: ec.EllipticCurvePublicKey
    message: bytes
    signature: bytes
    answer: asyncio.Future[bool]


@dataclass
class SignatureProcess:
    process: asyncio.subprocess.Process | None = None
    loop: asyncio.AbstractEventLoop | None = None
    _batch: list[tuple[bytes, _Check]] = field(default_factory=list)
    _sent: deque[list[_Check]] = field(default_factory=deque)
    _reader: asyncio.Task[None] | None = None
    _wanted: bool = False  # started and not stopped: restart it if it dies
    _restart: asyncio.TimerHandle | None = None
    _restarting: asyncio.Task[None] | None = None
    batches: int = 0  # for tests and benches: batches sent, checks answered by the process
    answered: int = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self._wanted = True
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "healthcode.signature_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.loop = asyncio.get_running_loop()
        self._reader = self.loop.create_task(self._read_answers())

    async def stop(self) -> None:
        self._wanted = False
        if self._restart is not None:
            self._restart.cancel()
            self._restart = None
        if self._restarting is not None:
            await self._restarting
            self._restarting = None
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader  # it answers what was left inline, then ends
            self._reader = None

    async def check(
        self, kid: str, key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes
    ) -> bool:
        """Whether `signature` (raw r||s) over `message` is valid under `key`."""
        loop = asyncio.get_running_loop()
        if not self.running or loop is not self.loop:
            return wire.verify(key, message, signature)
        check = _Check(key, message, signature, loop.create_future())
        if not self._batch:
            loop.call_soon(self._send)  # after the requests that are ready now add theirs
        self._batch.append((_point(kid, key), check))
        if len(self._batch) >= BATCH_MAX:
            self._send()  # the process starts on these while the rest gather
        return await check.answer

    def _send(self) -> None:
        if not self._batch:
            return  # sent already, full
        batch, self._batch = self._batch, []
        checks = [check for _, check in batch]
        if not self.running or self.process is None or self.process.stdin is None:
            _answer_here(checks)
            return
        self._sent.append(checks)
        self.batches += 1
        self.process.stdin.write(
            wire.encode([(point, c.message, c.signature) for point, c in batch])
        )

    async def _read_answers(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        try:
            while True:
                (count,) = wire.ANSWER.unpack(await stdout.readexactly(wire.ANSWER.size))
                answers = await stdout.readexactly(count)
                checks = self._sent.popleft()
                self.answered += len(checks)
                for check, valid in zip(checks, answers, strict=True):
                    if not check.answer.done():
                        check.answer.set_result(valid == 1)
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, ValueError):
            if self.process is not None:
                log.warning("the code signature process stopped; checking inline meanwhile")
        finally:
            self.process = None
            while self._sent:
                _answer_here(self._sent.popleft())
            if self._wanted and self.loop is not None:
                self._restart = self.loop.call_later(RESTART_AFTER_SECONDS, self._start_again)

    def _start_again(self) -> None:
        self._restart = None
        if self._wanted and self.loop is not None:
            self._restarting = self.loop.create_task(self._try_start())

    async def _try_start(self) -> None:
        try:
            await self.start()
        except OSError:
            log.warning("the code signature process did not start; checking inline")


def _answer_here(checks: list[_Check]) -> None:
    for check in checks:
        if not check.answer.done():
            check.answer.set_result(wire.verify(check.key, check.message, check.signature))


signatures = SignatureProcess()


async def start() -> None:
    if get_settings().code_verifier == "process":
        await signatures.start()


async def stop() -> None:
    await signatures.stop()

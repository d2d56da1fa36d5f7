"""Code signatures are checked in a process of their own, in batches, and inline without it."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from healthcode import signature_worker as wire
from healthcode import signatures as module
from healthcode.signatures import SignatureProcess, signatures
from tests.app.portal import concurrently
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api


def signed(message: bytes) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return key, r.to_bytes(32, "big") + s.to_bytes(32, "big")


def point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


class TestTheWorker:
    def test_answers_each_item_of_a_batch_in_order(self) -> None:
        key, good = signed(b"a.b")
        other, other_good = signed(b"c.d")
        bad = good[:-1] + bytes([good[-1] ^ 1])
        batch = [
            (point(key), b"a.b", good),
            (point(key), b"a.b", bad),
            (point(other), b"c.d", other_good),
            (point(other), b"a.b", other_good),  # right key, other message
        ]
        requests = io.BytesIO(wire.encode(batch) + wire.encode(batch[:1]))
        answers = io.BytesIO()
        wire.serve(requests, answers)  # returns at the end of input, like a closed pipe
        out = answers.getvalue()
        assert out == wire.ANSWER.pack(4) + bytes([1, 0, 1, 0]) + wire.ANSWER.pack(1) + b"\x01"

    def test_ctrl_c_does_not_stop_it_but_a_closed_pipe_does(self) -> None:
        worker = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "healthcode.signature_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert worker.stdin is not None and worker.stdout is not None
        key, good = signed(b"a.b")
        worker.stdin.write(wire.encode([(point(key), b"a.b", good)]))
        worker.stdin.flush()
        assert worker.stdout.read(5) == wire.ANSWER.pack(1) + b"\x01"  # ready, and right
        worker.send_signal(signal.SIGINT)
        worker.stdin.write(wire.encode([(point(key), b"a.c", good)]))
        worker.stdin.flush()
        assert worker.stdout.read(5) == wire.ANSWER.pack(1) + b"\x00"
        worker.stdin.close()
        assert worker.wait(timeout=10) == 0
        worker.stdout.close()


class TestTheProcess:
    async def test_the_app_checks_codes_in_its_process(self, api: Api) -> None:
        assert signatures.running
        before = signatures.answered
        citizen, _ = await declared(api)
        gate = await api.gate()
        assert (await scan(api, gate, await fresh_code(api, citizen)))["result"] == "pass"
        assert signatures.answered == before + 1

    async def test_concurrent_scans_share_batches(self, api: Api) -> None:
        gate = await api.gate()
        codes = []
        for _ in range(12):
            citizen, _ = await declared(api)
            codes.append(await fresh_code(api, citizen))
        batches, answered = signatures.batches, signatures.answered
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": "/api/v1/gate/scans",
                    "json": {"code": code},
                    "headers": gate.headers,
                }
                for code in codes
            ],
        )
        assert [r.json()["result"] for r in responses] == ["pass"] * 12
        assert signatures.answered == answered + 12
        assert signatures.batches - batches < 12

    async def test_a_dead_process_means_inline_checks_then_a_new_process(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        code = await fresh_code(api, citizen)
        header, payload, signature = code.split(".")
        forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BA'}"
        assert signatures.process is not None
        monkeypatch.setattr(module, "RESTART_AFTER_SECONDS", 0.5)
        os.kill(signatures.process.pid, signal.SIGKILL)
        assert (await scan(api, gate, code))["result"] == "pass"
        assert (await scan(api, gate, forged))["reason"] == "code_invalid"
        assert not signatures.running
        for _ in range(100):  # it is started again
            if signatures.running:
                break
            await asyncio.sleep(0.05)
        answered = signatures.answered
        assert (await scan(api, gate, code))["result"] == "pass"
        assert (await scan(api, gate, forged))["reason"] == "code_invalid"
        assert signatures.answered == answered + 2

    async def test_another_event_loop_checks_inline(self) -> None:
        process = SignatureProcess()  # never started: every check runs inline
        key, good = signed(b"x.y")
        assert await process.check("kid", key.public_key(), b"x.y", good)
        assert not await process.check("kid", key.public_key(), b"x.z", good)
        assert process.batches == 0


class TestTheSetting:
    async def test_inline_starts_no_process(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.settings import settings_from_env

        inline = settings_from_env({"CITYBRAIN_CODE_VERIFIER": "inline"})
        fresh = SignatureProcess()
        monkeypatch.setattr(module, "get_settings", lambda: inline)
        monkeypatch.setattr(module, "signatures", fresh)
        await module.start()
        assert not fresh.running and fresh.process is None
        await module.stop()

    def test_an_unknown_value_is_refused(self) -> None:
        from app.settings import SettingsError, settings_from_env

        with pytest.raises(SettingsError, match="CITYBRAIN_CODE_VERIFIER"):
            settings_from_env({"CITYBRAIN_CODE_VERIFIER": "gpu"})

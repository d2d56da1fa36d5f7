"""Two City Brain servers trusting each other's keys: this app (city A) and a second server
(city B) started as its own `citybrain run` process, with its own database, issuer and keys.

A trusts B by URL (A fetches B's `/.well-known/jwks.json` over real HTTP); B trusts A by the
JWKS pasted. Then each one's gate passes the other's citizen, and each one's own codes still
pass at home."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import get_settings
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api, new_id_number
from tests.recognition.test_routes import CITIES, health_admin

ROOT = Path(__file__).resolve().parents[2]
CITY_B = "https://citybrain.city-b.example"
B_ADMIN = "19900000077"


def _citybrain(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("citybrain")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "app.cli", *args]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def city_b() -> Iterator[str]:
    """City B's base URL: migrated, served by its own process, stopped by its PID."""
    data = tempfile.mkdtemp(prefix="citybrain-city-b-")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CITYBRAIN_", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_"))
    }
    env |= {
        "CITYBRAIN_ENV": "dev",  # so that B's OTP answers carry `dev_code`
        "CITYBRAIN_DATA_DIR": data,
        "CITYBRAIN_CODE_ISSUER": CITY_B,
        "CITYBRAIN_ADMIN_PHONES": B_ADMIN,
        "CITYBRAIN_SCHEDULER": "false",
    }
    subprocess.run(_citybrain("migrate"), env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    port = _free_port()
    log = Path(data) / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 (our own command)
            _citybrain("run", "--port", str(port)), env=env, cwd=ROOT, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:])
            time.sleep(0.1)
        else:
            raise RuntimeError("city B did not start: " + log.read_text()[-2000:])
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class CityB:
    """City B over HTTP, as its own app and devices use it."""

    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=15)

    async def login(self, phone: str) -> dict[str, str]:
        sent = await self.http.post("/api/v1/auth/otp", json={"phone": phone})
        assert sent.status_code == 202, sent.text
        token = await self.http.post(
            "/api/v1/auth/token", json={"phone": phone, "code": sent.json()["dev_code"]}
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    async def citizen_code(self) -> str:
        citizen = await self.login(f"135{time.time_ns() % 100_000_000:08d}")
        bound = await self.http.post(
            "/api/v1/me/real-name",
            json={"name": "钱八", "id_number": new_id_number("310101")},
            headers=citizen,
        )
        assert bound.status_code == 200, bound.text
        declared = await self.http.post(
            "/api/v1/healthcode/declarations",
            json={"temperature_c": 36.6, "symptoms": [], "visited_regions": []},
            headers=citizen,
        )
        assert declared.status_code == 200, declared.text
        code: str = declared.json()["code"]
        return code

    async def gate(self, admin: dict[str, str]) -> dict[str, str]:
        venue = await self.http.post(
            "/api/v1/admin/venues",
            json={"name": "上海站", "kind": "metro", "region_code": "310101"},
            headers=admin,
        )
        assert venue.status_code == 201, venue.text
        created = await self.http.post(
            f"/api/v1/admin/venues/{venue.json()['id']}/gates", json={"name": "1"}, headers=admin
        )
        assert created.status_code == 201, created.text
        token = await self.http.post(
            "/api/v1/gate/token",
            json={k: created.json()[k] for k in ("gate_id", "device_secret")},
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    async def scan(self, gate: dict[str, str], code: str) -> dict[str, Any]:
        response = await self.http.post("/api/v1/gate/scans", json={"code": code}, headers=gate)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


class TestTwoCities:
    async def test_each_gate_passes_the_other_citys_citizen(self, api: Api, city_b: str) -> None:
        b = CityB(city_b)
        try:
            # A trusts B by URL: A's server fetches B's keys from B's server.
            trusted = await api.client.post(
                CITIES,
                json={
                    "iss": CITY_B,
                    "region": "310000",
                    "jwks_url": f"{city_b}/.well-known/jwks.json",
                },
                headers=await health_admin(api),
            )
            assert trusted.status_code == 200, trusted.text
            visitor_code = await b.citizen_code()
            at_a = await scan(api, await api.gate(), visitor_code)
            assert (at_a["result"], at_a["colour"], at_a["name_masked"]) == (
                "pass",
                "green",
                None,  # B's code carries no name: its subject stays sealed by B
            )
            # B trusts A by the JWKS pasted.
            b_admin = await b.login(B_ADMIN)
            a_keys = (await api.client.get("/.well-known/jwks.json")).json()
            pasted = await b.http.post(
                "/api/v1/admin/trust-list/city-issuers",
                json={"iss": get_settings().code_issuer, "region": "330100", "jwks": a_keys},
                headers=b_admin,
            )
            assert pasted.status_code == 200, pasted.text
            b_gate = await b.gate(b_admin)
            citizen, _ = await declared(api)
            at_b = await b.scan(b_gate, await fresh_code(api, citizen))
            assert (at_b["result"], at_b["colour"]) == ("pass", "green")
            # Each city's own codes still pass at home, and a code of neither is refused.
            assert (await b.scan(b_gate, await b.citizen_code()))["result"] == "pass"
            assert (await scan(api, await api.gate(), await fresh_code(api, citizen)))[
                "result"
            ] == "pass"
            forged = visitor_code[:-4] + ("AAAA" if not visitor_code.endswith("AAAA") else "BBBB")
            assert (await scan(api, await api.gate(), forged))["reason"] == "code_invalid"
        finally:
            await b.http.aclose()

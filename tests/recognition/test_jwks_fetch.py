"""Other cities' keys by URL: fetched when the issuer is added, refreshed every hour by
`refresh_city_jwks`, kept when a fetch fails. A real HTTP server on loopback serves them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.jobs import PERIODIC
from healthcode.clock import clock
from recognition import service
from tests.app.portal import in_app
from tests.healthcode.conftest import scan
from tests.helpers import Api, problem
from tests.recognition import factory as f
from tests.recognition.test_routes import CITIES, health_admin, versions


@dataclass
class JwksServer:
    url: str = ""
    status: int = 200
    body: bytes = b""
    requests: list[str] = field(default_factory=list)

    def serve(self, city: f.City) -> None:
        self.status, self.body = 200, json.dumps(city.jwks()).encode()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            state.requests.append(self.path)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _now() -> datetime:
    return clock.now().astimezone(UTC)


def _by_url(city: f.City, url: str) -> dict[str, Any]:
    return {"iss": city.iss, "region": city.region, "jwks_url": url}


async def _refresh(api: Api) -> int:
    updated: int = await in_app(api.client, service.refresh_city_keys)
    return updated


class TestAddByUrl:
    async def test_the_keys_are_fetched_at_once(self, api: Api, jwks_server: JwksServer) -> None:
        city = f.city("https://citybrain.by-url.example")
        jwks_server.serve(city)
        response = await api.client.post(
            CITIES, json=_by_url(city, jwks_server.url), headers=await health_admin(api)
        )
        assert response.status_code == 200, response.text
        [entry] = [c for c in response.json()["city_issuers"] if c["iss"] == city.iss]
        assert entry["jwks"] == city.jwks() and entry["jwks_url"] == jwks_server.url
        assert jwks_server.requests == ["/.well-known/jwks.json"]
        gate = await api.gate()
        assert (await scan(api, gate, city.code(iat=_now())))["result"] == "pass"

    @pytest.mark.parametrize(
        ("status", "body"),
        [(200, b"not json"), (200, b'{"keys": [{"kty": "oct", "k": "AA"}]}'), (404, b"{}")],
    )
    async def test_an_unusable_answer_writes_nothing(
        self, api: Api, jwks_server: JwksServer, status: int, body: bytes
    ) -> None:
        jwks_server.status, jwks_server.body = status, body
        before = await versions(api)
        city = f.city("https://citybrain.bad-url.example")
        response = await api.client.post(
            CITIES, json=_by_url(city, jwks_server.url), headers=await health_admin(api)
        )
        problem(response, 422, "trust_entry_invalid")
        assert await versions(api) == before

    async def test_keys_or_a_url_are_needed(self, api: Api) -> None:
        city = f.city("https://citybrain.no-keys.example")
        response = await api.client.post(
            CITIES, json={"iss": city.iss, "region": city.region}, headers=await health_admin(api)
        )
        problem(response, 422, "trust_entry_invalid")

    async def test_a_private_address_is_refused(self, api: Api) -> None:
        city = f.city("https://citybrain.metadata.example")
        url = "http://169.254.169.254/latest/meta-data"
        response = await api.client.post(
            CITIES, json=_by_url(city, url), headers=await health_admin(api)
        )
        body = problem(response, 422, "trust_entry_invalid")
        assert "private address" in body["detail"]


class TestRefresh:
    async def test_rotated_keys_are_taken_and_unchanged_ones_write_nothing(
        self, api: Api, jwks_server: JwksServer
    ) -> None:
        city = f.city("https://citybrain.rotating.example")
        jwks_server.serve(city)
        added = await api.client.post(
            CITIES, json=_by_url(city, jwks_server.url), headers=await health_admin(api)
        )
        assert added.status_code == 200, added.text
        assert await _refresh(api) == 0
        rotated = f.City(city.iss, ec.generate_private_key(ec.SECP256R1()))
        jwks_server.serve(rotated)
        before = await versions(api)
        assert await _refresh(api) == 1
        assert await versions(api) == before + 1
        gate = await api.gate()
        assert (await scan(api, gate, rotated.code(iat=_now())))["result"] == "pass"
        old = await scan(api, gate, city.code(iat=_now()))
        assert (old["result"], old["reason"]) == ("deny", "code_invalid")

    async def test_an_unreachable_city_keeps_its_keys(
        self, api: Api, jwks_server: JwksServer
    ) -> None:
        city = f.city("https://citybrain.flaky.example")
        jwks_server.serve(city)
        added = await api.client.post(
            CITIES, json=_by_url(city, jwks_server.url), headers=await health_admin(api)
        )
        assert added.status_code == 200, added.text
        jwks_server.status, jwks_server.body = 503, b"{}"
        before = await versions(api)
        assert await _refresh(api) == 0
        assert await versions(api) == before
        assert (await scan(api, await api.gate(), city.code(iat=_now())))["result"] == "pass"

    def test_runs_every_hour(self) -> None:
        assert PERIODIC["recognition.tasks.refresh_city_jwks"].every == 3600

"""Outgoing HTTP to addresses given by others (webhook URLs, other cities' JWKS URLs).

A name can be made to resolve elsewhere after it was checked (DNS rebinding). So the host is
resolved at every request, every address must be one we may call (`app.net.may_call`), and
the request goes to the checked address itself, with the name in `Host` and in TLS (SNI and
certificate check). Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.net import loopback_receivers, may_call


class Refused(Exception):
    """The request was not (or could not be) sent; `retry` says whether trying later may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Pinned:
    url: str  # the URL with the checked address in place of the name
    host: str  # the Host header
    sni: str | None  # the name TLS must present and verify, for https

    @property
    def extensions(self) -> dict[str, str] | None:
        return {"sni_hostname": self.sni} if self.sni else None


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every outgoing request: building one (loading the CA bundle) costs
    ~10 ms of CPU, measured as 75 % of a worker's time while it drained a webhook backlog."""
    return httpx.create_ssl_context()


def client(wait_seconds: float) -> httpx.AsyncClient:
    """A client for one pinned request: no redirects, the shared TLS context. Not pooled
    across requests: a pooled connection to one address must not carry another name."""
    return httpx.AsyncClient(timeout=wait_seconds, follow_redirects=False, verify=_tls())


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the tests put their own names here)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def pin(url: str) -> Pinned:
    """Resolve `url`'s host and check every address; raises `Refused`."""
    parts = urlsplit(url)
    name = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolve(name, port)]
    except (OSError, ValueError) as exc:
        raise Refused(f"resolve: {exc}", retry=True) from None
    if not addresses:
        raise Refused("resolve: no address", retry=True)
    loopback = loopback_receivers()
    if not all(may_call(address, allow_loopback=loopback) for address in addresses):
        raise Refused("refused: the host resolves to a private address", retry=False)
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host = f"{name}:{parts.port}" if parts.port else name
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Pinned(pinned, host, name if parts.scheme == "https" else None)


async def get_bytes(url: str, *, wait_seconds: float, max_bytes: int, user_agent: str) -> bytes:
    """GET a small document; raises `Refused` (not sent, a non-200 answer, or too big)."""
    target = await pin(url)
    headers = {"Host": target.host, "User-Agent": user_agent, "Accept": "application/json"}
    try:
        async with (
            client(wait_seconds) as http,
            http.stream(
                "GET", target.url, headers=headers, extensions=target.extensions
            ) as response,
        ):
            if response.status_code != 200:
                raise Refused(f"HTTP {response.status_code}", retry=response.status_code >= 500)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise Refused(f"larger than {max_bytes} bytes", retry=False)
            return bytes(body)
    except httpx.HTTPError as exc:
        raise Refused(f"{type(exc).__name__}: {exc}"[:200], retry=True) from None


def json_or_refused(body: bytes) -> Any:
    import json

    try:
        return json.loads(body)
    except ValueError:
        raise Refused("not JSON", retry=False) from None

"""Signed webhooks to external mini-apps (API.md, "Mini-apps").

Each POST carries `{id, type, created_at, data}` and the header
`CityBrain-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with the app's
webhook secret (its UTF-8 bytes). `id` is the event id, the same on every retry and replay,
so that a receiver can drop duplicates. Only 5xx, 429 and timeouts or connection failures
are retried; any other answer is final.

The URL was checked when it was registered, but a name can be made to resolve elsewhere
later (DNS rebinding). So the host is resolved again at every send, every address must be
one we may call (`app.net.may_call`), and the request goes to the checked address itself,
with the name in `Host` and in TLS (SNI and certificate check).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

from app.net import loopback_receivers, may_call
from notifications._util import short_error

SIGNATURE_HEADER = "CityBrain-Signature"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool
    status_code: int | None = None
    error: str | None = None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def payload(event_id: str, kind: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    return msgspec.json.encode(
        {"id": event_id, "type": kind, "created_at": created_at, "data": data}
    )


def classify(status_code: int) -> Outcome:
    if 200 <= status_code < 300:
        return Outcome(ok=True, retry=False, status_code=status_code)
    retry = status_code == 429 or status_code >= 500
    return Outcome(ok=False, retry=retry, status_code=status_code, error=f"HTTP {status_code}")


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the tests put their own names here)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Pinned:
    url: str  # the URL with the checked address in place of the name
    host: str  # the Host header
    sni: str | None  # the name TLS must present and verify, for https


async def _pin(url: str) -> _Pinned | Outcome:
    parts = urlsplit(url)
    name = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolve(name, port)]
    except (OSError, ValueError) as exc:
        return Outcome(ok=False, retry=True, error=short_error(f"resolve: {exc}"))
    if not addresses:
        return Outcome(ok=False, retry=True, error="resolve: no address")
    loopback = loopback_receivers()
    if not all(may_call(address, allow_loopback=loopback) for address in addresses):
        refused = "refused: the host resolves to a private address"
        return Outcome(ok=False, retry=False, error=refused)
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host = f"{name}:{parts.port}" if parts.port else name
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return _Pinned(pinned, host, name if parts.scheme == "https" else None)


async def post(url: str, secret: str, body: bytes, wait_seconds: float) -> Outcome:
    """One signed POST; never raises."""
    target = await _pin(url)
    if isinstance(target, Outcome):
        return target
    headers = {
        "Host": target.host,
        "Content-Type": "application/json",
        "User-Agent": "CityBrain-Webhooks/1",
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
    }
    extensions = {"sni_hostname": target.sni} if target.sni else None
    try:
        async with httpx.AsyncClient(timeout=wait_seconds, follow_redirects=False) as client:
            response = await client.post(
                target.url, content=body, headers=headers, extensions=extensions
            )
    except httpx.TimeoutException as exc:
        return Outcome(ok=False, retry=True, error=short_error(f"timeout: {type(exc).__name__}"))
    except httpx.HTTPError as exc:
        return Outcome(ok=False, retry=True, error=short_error(exc))
    return classify(response.status_code)

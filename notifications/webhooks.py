"""Signed webhooks to external mini-apps (API.md, "Mini-apps").

Each POST carries `{id, type, created_at, data}` and the header
`CityBrain-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with the app's
webhook secret (its UTF-8 bytes). `id` is the event id, the same on every retry and replay,
so that a receiver can drop duplicates. Only 5xx, 429 and timeouts or connection failures
are retried; any other answer is final.

The URL was checked when it was registered, but a name can be made to resolve elsewhere
later (DNS rebinding): every send resolves and checks it again (`app.outbound.pin`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import msgspec

from app.outbound import Pinned, Refused, client, pin
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


async def _pin(url: str) -> Pinned | Outcome:
    try:
        return await pin(url)
    except Refused as refused:
        return Outcome(ok=False, retry=refused.retry, error=short_error(str(refused)))


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
    extensions = target.extensions
    try:
        async with client(wait_seconds) as http:
            response = await http.post(
                target.url, content=body, headers=headers, extensions=extensions
            )
    except httpx.TimeoutException as exc:
        return Outcome(ok=False, retry=True, error=short_error(f"timeout: {type(exc).__name__}"))
    except httpx.HTTPError as exc:
        return Outcome(ok=False, retry=True, error=short_error(exc))
    return classify(response.status_code)

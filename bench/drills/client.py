"""A client that behaves as the contract asks one to: the same request, with the same
Idempotency-Key, tried again on a connection error, a 5xx, a 429 or `idempotency_key_in_use`,
against whichever app process answers."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class Answer:
    status: int
    body: Any
    tries: int  # 1: answered the first time
    replayed: bool
    seconds: float


@dataclass
class Balancer:
    """Round-robin over app processes, as a proxy would: one that refused a connection is left
    out for a few seconds."""

    bases: list[str]
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _next: itertools.count[int] = field(default_factory=itertools.count)
    _down_until: dict[str, float] = field(default_factory=dict)

    def client(self, base: str) -> httpx.AsyncClient:
        if base not in self.clients:
            self.clients[base] = httpx.AsyncClient(
                base_url=base,
                timeout=httpx.Timeout(10.0, connect=2.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            )
        return self.clients[base]

    def pick(self) -> str:
        now = time.monotonic()
        candidates = [b for b in self.bases if self._down_until.get(b, 0) <= now] or self.bases
        return candidates[next(self._next) % len(candidates)]

    async def close(self) -> None:
        for http in self.clients.values():
            await http.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        budget: float = 90.0,
    ) -> Answer:
        """Send until an answer that is not worth retrying, or `budget` seconds have passed
        (then raise TimeoutError)."""
        started = time.monotonic()
        tries = 0
        while True:
            tries += 1
            base = self.pick()
            try:
                response = await self.client(base).request(method, path, json=json, headers=headers)
            except httpx.TransportError:
                self._down_until[base] = time.monotonic() + 3.0
                response = None
            if response is not None:
                body = response.json() if response.content else None
                in_use = response.status_code == 409 and (body or {}).get("code") == (
                    "idempotency_key_in_use"
                )
                if response.status_code not in RETRY_STATUSES and not in_use:
                    return Answer(
                        response.status_code,
                        body,
                        tries,
                        response.headers.get("idempotent-replayed") == "true",
                        time.monotonic() - started,
                    )
            if time.monotonic() - started > budget:
                raise TimeoutError(f"{method} {path}: no final answer in {budget:.0f} s")
            await asyncio.sleep(min(1.0, 0.05 * 2 ** min(tries, 5)))

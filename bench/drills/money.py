"""Drill `app_killed_mid_payment`: `kill -9` one of two app processes while 32 clients place,
capture and void holds with idempotency keys, retrying on connection errors."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.drills import scene
from bench.drills.client import Answer, Balancer
from bench.drills.procs import Cluster, query

CLIENTS = 32
CITIZENS = 8  # four clients share each credit line: holds race for the same limit
LIMIT = 100_000  # fen
LOAD_BEFORE_KILL = 3.0
LOAD_AFTER_KILL = 4.0


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    answer: Answer


@dataclass
class Tally:
    calls: list[Call] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key (the memo) -> hold id

    def record(self, method: str, path: str, body: Any, headers: dict[str, str], a: Answer) -> None:
        self.calls.append(Call(method, path, body, headers, a))


async def _client(
    lb: Balancer, app_headers: dict[str, str], stop: asyncio.Event, tally: Tally
) -> None:
    rng = random.Random()
    while not stop.is_set():
        key = uuid.uuid4().hex
        headers = {**app_headers, "Idempotency-Key": key}
        body = {"amount": rng.randrange(200, 2000), "memo": key, "expires_in": 3600}
        placed = await lb.send("POST", "/api/v1/apps/wallet/holds", json=body, headers=headers)
        tally.record("POST", "/api/v1/apps/wallet/holds", body, headers, placed)
        if placed.status != 201:
            continue
        hold_id = placed.body["hold_id"]
        tally.acknowledged[key] = hold_id
        second = {**app_headers, "Idempotency-Key": uuid.uuid4().hex}
        if rng.random() < 0.5:
            path = f"/api/v1/apps/wallet/holds/{hold_id}/capture"
            capture = {"amount": rng.randrange(1, body["amount"] + 1)}
            tally.record(
                "POST",
                path,
                capture,
                second,
                await lb.send("POST", path, json=capture, headers=second),
            )
        else:
            path = f"/api/v1/apps/wallet/holds/{hold_id}/void"
            tally.record("POST", path, None, second, await lb.send("POST", path, headers=second))


async def _ledger_problems(database_url: str, slug: str) -> list[str]:
    problems = []
    total = await query(database_url, "SELECT COALESCE(SUM(balance), 0) AS s FROM wallet_account")
    if total[0]["s"] != 0:
        problems.append(f"ledger sums to {total[0]['s']}, not 0")
    drift = await query(
        database_url,
        "SELECT a.id FROM wallet_account a LEFT JOIN ("
        "  SELECT account, SUM(amount) AS net FROM ("
        "    SELECT to_account AS account, amount FROM wallet_transfer"
        "    UNION ALL SELECT from_account, -amount FROM wallet_transfer) m GROUP BY account"
        ") t ON t.account = a.id WHERE a.balance <> COALESCE(t.net, 0)",
    )
    if drift:
        problems.append(f"{len(drift)} account balances differ from their transfers")
    lines = await query(
        database_url,
        "SELECT c.citizen_id, c.credit_limit, c.held, c.outstanding, "
        "  (SELECT COALESCE(SUM(amount), 0) FROM wallet_hold h"
        "   WHERE h.citizen_id = c.citizen_id AND h.status = 'held') AS open_holds "
        "FROM credit_line c",
    )
    for line in lines:
        if line["held"] + line["outstanding"] > line["credit_limit"]:
            problems.append(
                f"a credit line is overspent: {line['held']}+{line['outstanding']}"
                f" > {line['credit_limit']}"
            )
        if line["held"] != line["open_holds"]:
            problems.append(
                f"a credit line holds {line['held']}, its open holds {line['open_holds']}"
            )
    twice = await query(
        database_url,
        "SELECT memo, COUNT(*) AS n FROM wallet_hold WHERE miniapp = $1 GROUP BY memo "
        "HAVING COUNT(*) > 1",
        slug,
    )
    if twice:
        problems.append(f"{len(twice)} idempotency keys made more than one hold")
    return problems


async def run(cluster: Cluster) -> tuple[bool, str]:
    a = await cluster.app("app-a")
    b = await cluster.app("app-b")
    cluster.worker("worker")
    async with httpx.AsyncClient(base_url=a.base, timeout=30) as http:
        admin = await scene.admin(http)
        app = await scene.external_app(http, admin, None)
        tokens = []
        for _ in range(CITIZENS):
            citizen_id, headers = await scene.citizen(http)
            await scene.credit_limit(http, admin, citizen_id, LIMIT)
            tokens.append(await scene.connect(http, app, headers))
    lb = Balancer([a.base, b.base])
    tally = Tally()
    stop = asyncio.Event()
    started = time.monotonic()
    clients = [
        asyncio.create_task(_client(lb, tokens[i % CITIZENS], stop, tally)) for i in range(CLIENTS)
    ]
    try:
        await asyncio.sleep(LOAD_BEFORE_KILL)
        before = len(tally.calls)
        a.kill9()
        await asyncio.sleep(LOAD_AFTER_KILL)
        stop.set()
        await asyncio.gather(*clients)
    finally:
        for task in clients:
            task.cancel()
    seconds = time.monotonic() - started

    retried = [c for c in tally.calls if c.answer.tries > 1]
    problems = await _ledger_problems(cluster.database_url, app.slug)
    for key, hold_id in tally.acknowledged.items():
        rows = await query(cluster.database_url, "SELECT id FROM wallet_hold WHERE memo = $1", key)
        if [r["id"] for r in rows] != [hold_id]:
            problems.append(f"an acknowledged hold exists {len(rows)} times")
    # Every key answers what it answered first: send each call once more, to the survivor.
    survivor = Balancer([b.base])
    mismatched = 0
    try:
        for call in tally.calls:
            again = await survivor.send(
                call.method, call.path, json=call.body, headers=call.headers
            )
            if (again.status, again.body) != (
                call.answer.status,
                call.answer.body,
            ) or not again.replayed:
                mismatched += 1
    finally:
        await survivor.close()
        await lb.close()
    if mismatched:
        problems.append(
            f"{mismatched} of {len(tally.calls)} keys answered differently the second time"
        )
    statuses: dict[int, int] = {}
    for call in tally.calls:
        statuses[call.answer.status] = statuses.get(call.answer.status, 0) + 1
    slowest = max((c.answer.seconds for c in retried), default=0.0)
    detail = (
        f"{len(tally.calls)} calls ({before} before the kill) in {seconds:.0f} s, "
        f"statuses {dict(sorted(statuses.items()))}, {len(retried)} retried "
        f"(slowest answered after {slowest:.1f} s), {len(tally.acknowledged)} holds acknowledged"
    )
    if problems:
        return False, "; ".join(problems[:3]) + f" ({detail})"
    return True, detail

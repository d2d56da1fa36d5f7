"""Drill `one_code_two_processes`: the same health code scanned at two venues at the same
moment, each scan through a different app process, is `code_replayed` at exactly one of them
(the claim in `hc_code_use` serialises them across processes; see healthcode/scan_log.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from bench.drills import scene
from bench.drills.procs import Cluster, query

CODES = 48  # codes raced in one go: every pair of scans in flight at once


async def _scan(http: httpx.AsyncClient, gate: dict[str, str], code: str) -> tuple[str, str]:
    answer = await http.post("/api/v1/gate/scans", json={"code": code}, headers=gate)
    if answer.status_code != 200:
        return f"http {answer.status_code}", ""
    body = answer.json()
    return str(body["result"]), str(body.get("reason") or "")


async def run(cluster: Cluster) -> tuple[bool, str]:
    first = await cluster.app("app-a")
    second = await cluster.app("app-b")
    async with (
        httpx.AsyncClient(base_url=first.base, timeout=20) as a,
        httpx.AsyncClient(base_url=second.base, timeout=20) as b,
    ):
        admin = await scene.admin(a)
        gate_a, gate_b = await scene.gate(a, admin), await scene.gate(a, admin)
        codes = []
        for _ in range(CODES):
            _, citizen = await scene.citizen(a)
            codes.append(await scene.declare(a, citizen))
        # Each code at venue A through process A and at venue B through process B, all at once.
        raced = await asyncio.gather(
            *(asyncio.gather(_scan(a, gate_a, code), _scan(b, gate_b, code)) for code in codes)
        )
    problems = []
    outcomes: Counter[str] = Counter()
    for at_a, at_b in raced:
        pair = sorted([at_a, at_b])
        outcomes["+".join(f"{r}/{why}" if why else r for r, why in pair)] += 1
        if pair != [("deny", "code_replayed"), ("pass", "")]:
            problems.append(f"{at_a} at one venue and {at_b} at the other")
    # What the log holds agrees: per code, one pass and one replay denial.
    logged = await query(
        cluster.database_url,
        "SELECT jti, SUM(CASE WHEN result = 'pass' THEN 1 ELSE 0 END) AS passes, "
        "SUM(CASE WHEN reason = 'code_replayed' THEN 1 ELSE 0 END) AS replays "
        "FROM hc_scan WHERE source = 'code' GROUP BY jti",
    )
    if len(logged) != CODES:
        problems.append(f"{len(logged)} codes in the scan log, not {CODES}")
    problems += [
        f"code logged with {row['passes']} passes, {row['replays']} replays"
        for row in logged
        if (row["passes"], row["replays"]) != (1, 1)
    ]
    if problems:
        return False, f"{len(problems)} problems, first: {problems[0]}"
    return True, f"{CODES} codes raced through two processes: {dict(outcomes)}"

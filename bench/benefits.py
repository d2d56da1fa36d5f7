"""Benefits (民生直达): pay N eligible citizens in one run, and check it to the fen.

    .venv/bin/python bench/benefits.py [--citizens 100000] [--baseline 5000]

In a child process on a fresh SQLite database (a temporary data directory): N real-name-
verified citizens (inserted in bulk, their ID numbers sealed as identity seals them, born
1940-2005 in Hangzhou's districts), one programme (Hangzhou, aged 18 or over, 38,650 fen a
person: ¥315 million / 815,000 people; budget exactly N × amount), then the payment job
`miniapps.benefits.payments.pay_programme` as the scheduler runs it: the directory read page
by page, the rules judged, and one transaction per citizen (claim, budget guard, the
wallet's keyed benefit row, the channel's `disburse`, three ledger legs, the inbox notice's
outbox row). The notices' delivery jobs are counted, not run (with Redis they are queued for
arq workers).

Baseline, measured in the same run: the same three ledger legs booked by `wallet.ledger.post`
alone, one transaction each (`--baseline` of them): what any payment costs the ledger.

Then it checks: every payment row paid, count N, sum N × amount; the wallet's benefit rows
and the programme's ledger account agree to the fen; the channel paid N times the same
total; the whole ledger sums to zero; a second run pays nobody again. The last line is the
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AMOUNT = 38_650  # fen: ¥315 million over 815,000 people
DISTRICTS = ("330102", "330105", "330106", "330108", "330109", "330110")


def id_number(i: int) -> str:
    """A valid, unique resident ID for citizen `i` (district, birth day, sequence)."""
    from identity.idcard import check_digit

    born = date(1940, 1, 1) + timedelta(days=(i // 1000) % 23_700)
    first17 = f"{DISTRICTS[i % len(DISTRICTS)]}{born:%Y%m%d}{i % 1000:03d}"
    return first17 + check_digit(first17)


async def make_citizens(count: int) -> None:
    """Verified citizens as identity stores them (a fixture, not the real-name flow)."""
    from app.database import atomic, fetch
    from app.security import get_keyring

    keyring = get_keyring()
    at = datetime.now(UTC)
    for start in range(0, count, 500):
        values: list[Any] = []
        rows = range(start, min(count, start + 500))
        for i in rows:
            citizen_id, number = str(uuid.uuid4()), id_number(i)
            values += [
                citizen_id,
                f"135{i:08d}",
                "王*",
                keyring.seal_text("王五", aad=f"name:{citizen_id}"),
                keyring.lookup_hash(number),
                keyring.seal_text(number, aad=f"id:{citizen_id}"),
                at,
                at,
            ]
        async with atomic():
            await fetch(
                "INSERT INTO citizen (id, phone, roles, real_name_verified, name_masked, "
                "name_sealed, id_hash, id_sealed, verified_at, created_at) VALUES "
                + ", ".join(["({}, {}, 'citizen', TRUE, {}, {}, {}, {}, {}, {})"] * len(rows)),
                *values,
            )


async def baseline(count: int) -> float:
    """Ledger bookings a second: the benefit's three legs, one transaction each."""
    from app.database import atomic
    from wallet import ledger
    from wallet.ledger import FUNDING, Leg, credit_account, programme_account, receipts_account

    account = programme_account("bench", "baseline")
    started = time.perf_counter()
    for _ in range(count):
        citizen = str(uuid.uuid4())
        async with atomic():
            await ledger.post(
                [
                    Leg("benefit", account, credit_account(citizen), 0),
                    Leg("benefit", account, receipts_account(citizen), AMOUNT),
                    Leg("payout", receipts_account(citizen), FUNDING, AMOUNT),
                ],
                citizen_id=citizen,
                miniapp="bench",
                reference=str(uuid.uuid4()),
                memo="baseline",
                at=datetime.now(UTC),
            )
    return count / (time.perf_counter() - started)


class CountingRunner:
    """Counts the jobs a run queues (the notices' delivery) instead of running them."""

    def __init__(self) -> None:
        self.queued = 0

    async def enqueue(self, name: str, kwargs: dict[str, Any], job_id: Any, defer: Any) -> None:
        self.queued += 1

    async def start(self) -> None: ...

    async def drain(self) -> None: ...

    async def close(self) -> None: ...


async def checks(programme_id: str, count: int) -> dict[str, Any]:
    from app.database import fetch_one
    from wallet.ledger import programme_account

    async def one(sql: str, *args: Any) -> dict[str, Any]:
        row = await fetch_one(sql, *args)
        assert row is not None
        return row

    paid = await one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM benefits_payment "
        "WHERE programme_id = {} AND status = 'paid' AND payout_id IS NOT NULL",
        programme_id,
    )
    rows = await one("SELECT COUNT(*) AS n FROM benefits_payment")
    wallet = await one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM wallet_benefit "
        "WHERE account = {}",
        programme_account("benefits", programme_id),
    )
    account = await one(
        "SELECT balance FROM wallet_account WHERE id = {}",
        programme_account("benefits", programme_id),
    )
    zero = await one("SELECT COALESCE(SUM(balance), 0) AS total FROM wallet_account")
    spent = await one("SELECT spent FROM benefits_programme WHERE id = {}", programme_id)
    return {
        "paid": int(paid["n"]),
        "paid_fen": int(paid["total"]),
        "payment_rows": int(rows["n"]),
        "wallet_benefits": int(wallet["n"]),
        "wallet_fen": int(wallet["total"]),
        "programme_balance": int(account["balance"]),
        "ledger_sum": int(zero["total"]),
        "spent": int(spent["spent"]),
    }


async def child(args: argparse.Namespace) -> dict[str, Any]:
    from app.cli import _migrate_async
    from app.database import close_engine, open_engine
    from app.jobs import set_runner
    from miniapps.benefits.payments import pay_programme
    from miniapps.registry import app_context, get_registry
    from wallet.channel import SimulatedChannel, set_payment_channel

    await open_engine()
    runner = CountingRunner()
    set_runner(runner)  # type: ignore[arg-type]
    channel = SimulatedChannel()
    set_payment_channel(channel)
    try:
        await _migrate_async()
        started = time.perf_counter()
        await make_citizens(args.citizens)
        made_s = time.perf_counter() - started
        base = await baseline(args.baseline)
        loaded = get_registry().get("benefits")
        assert loaded is not None
        ctx = app_context(loaded)
        programme_id = await create_programme(args.citizens)
        started = time.perf_counter()
        outcomes = await pay_programme(ctx, programme_id)
        run_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await pay_programme(ctx, programme_id)
        rerun_s = time.perf_counter() - started
        found = await checks(programme_id, args.citizens)
        return {
            "citizens": args.citizens,
            "made_s": round(made_s, 1),
            "baseline_per_s": round(base),
            "run_s": round(run_s, 1),
            "per_s": round(args.citizens / run_s),
            "outcomes": outcomes,
            "rerun": again,
            "rerun_s": round(rerun_s, 2),
            "channel_paid": len(channel.disbursed),
            "channel_fen": sum(amount for _, amount, _ in channel.disbursed),
            "notices_queued": runner.queued,
            **found,
        }
    finally:
        await close_engine()


async def create_programme(count: int) -> str:
    """Insert the programme as staff would define it (18+, Hangzhou, budget N × amount)."""
    from app.database import atomic, fetch
    from miniapps.benefits import rules
    from miniapps.benefits.schemas import RuleOut
    from miniapps.sdk import local_today, new_time_id, now

    programme_id = new_time_id()
    stored = [RuleOut("age", min_age=18), RuleOut("region", regions=["330100"])]
    async with atomic():
        await fetch(
            "INSERT INTO benefits_programme (id, name, amount, budget, spent, frequency, "
            "payment_day, rules, status, created_by, created_at) "
            "VALUES ({}, {}, {}, {}, 0, 'once', {}, {}, 'active', 'bench', {})",
            programme_id,
            "民生直达 bench",
            AMOUNT,
            AMOUNT * count,
            local_today(),
            rules.encode(stored),
            now(),
        )
    return programme_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args))))
        return
    with tempfile.TemporaryDirectory(prefix="citybrain-bench-") as data_dir:
        env = {
            **os.environ,
            "CITYBRAIN_ENV": "test",
            "CITYBRAIN_DATA_DIR": data_dir,
            "CITYBRAIN_SCHEDULER": "false",
            "DATABASE_URL": "",
        }
        env.pop("REDIS_URL", None)
        command = [
            sys.executable,
            __file__,
            "--child",
            f"--citizens={args.citizens}",
            f"--baseline={args.baseline}",
        ]
        # Our own script, with arguments we built: no untrusted input reaches the command.
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"bench child failed:\n{done.stderr[-3000:]}")
        r: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    n, total = r["citizens"], r["citizens"] * AMOUNT
    print(f"{n:,} verified citizens made in {r['made_s']} s (fixture, not timed below)")
    print(f"baseline: the ledger's three legs alone, {r['baseline_per_s']:,} bookings/s")
    print(f"run: {r['outcomes']} in {r['run_s']} s; again: {r['rerun']} in {r['rerun_s']} s")
    print(
        f"paid rows {r['paid']:,} = {r['paid_fen']:,} fen; wallet {r['wallet_benefits']:,} = "
        f"{r['wallet_fen']:,} fen; programme account {r['programme_balance']:,}; "
        f"channel {r['channel_paid']:,} = {r['channel_fen']:,} fen; ledger sum "
        f"{r['ledger_sum']}; spent {r['spent']:,} of {total:,}; notices queued "
        f"{r['notices_queued']:,}"
    )
    match = (
        r["paid"] == r["wallet_benefits"] == r["channel_paid"] == r["payment_rows"] == n
        and r["paid_fen"] == r["wallet_fen"] == r["channel_fen"] == r["spent"] == total
        and r["programme_balance"] == -total
        and r["ledger_sum"] == 0
        and r["rerun"] == {}
    )
    print(
        f"benefits: {n:,} payments in {r['run_s']} s = {r['per_s']:,} payments/s "
        f"({r['per_s'] / r['baseline_per_s']:.0%} of the bare ledger's "
        f"{r['baseline_per_s']:,}/s); count and sum match to the fen: "
        f"{'yes' if match else 'NO'}"
    )
    if not match:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

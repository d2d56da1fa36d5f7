"""A model-based property test of the whole wallet (hypothesis `RuleBasedStateMachine`).

Random sequences of hold, capture, void, expiry (time passing + the job), charge, refund,
repayment, limit change, the dues job, and retries of earlier calls with the same
Idempotency-Key, against `tests.wallet.model.WalletModel`. After every step:
- the ledger sums to zero and each account's balance equals the sum of its transfers;
- held, outstanding, limit, `available = max(0, limit − outstanding − held)` and the status
  match the model; no accepted hold or charge left `limit − outstanding − held` negative;
- each hold is resolved at most once, as the model says; refunds never exceed what was taken;
  every bill owes exactly what the model says (oldest paid first, a refunded bill first);
- a replay answers byte for byte what the first call answered, and moves nothing.

The machine runs in a worker thread and calls the wallet on the app's own event loop through
the test client's portal (where its database connections live), on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar.testing import AsyncTestClient

from app.database import fetch, fetch_one
from app.errors import ProblemError, problem_response
from app.idempotency import IdempotencyKeyReused, idempotent
from tests.app.portal import in_app
from tests.clocks import local_noon
from tests.wallet.checks import ledger_problems
from tests.wallet.model import ModelCharge, ModelHold, WalletModel
from wallet import clock, ledger, service, tasks

_random = random.SystemRandom()  # hypothesis seeds `random`; citizens must differ per example
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
EXAMPLES, STEPS = (60, 40) if ON_POSTGRES else (100, 40)


class FakeRequest:
    """What `app.idempotency.idempotent` reads of a request: the path and the raw body."""

    def __init__(self, path: str, body: bytes) -> None:
        self.url = SimpleNamespace(path=path)
        self._body = body

    async def body(self) -> bytes:
        return self._body


@dataclass(frozen=True)
class KeyedCall:
    path: str
    body: bytes
    key: str
    status: int
    content: bytes


async def new_verified_citizen() -> str:
    """A real-name-verified citizen, made through identity's own service functions."""
    from app.security import get_keyring
    from app.sms import RecordingSmsSender, get_sms_sender
    from identity import idcard
    from identity import service as identity

    phone = f"136{_random.randrange(10**8):08d}"
    await identity.request_otp(phone, "model-test")
    sender = get_sms_sender()
    assert isinstance(sender, RecordingSmsSender)
    text = sender.last_to(phone) or ""
    code = "".join(c for c in text.split("验证码是")[1] if c.isdigit())[:6]
    pair = await identity.login_with_otp(phone, code)
    citizen_id = str(get_keyring().decode_token(pair.access_token, "citizen")["sub"])
    born = datetime(1960, 1, 1) + timedelta(days=_random.randrange(14_000))
    first17 = f"330106{born:%Y%m%d}{_random.randrange(1000):03d}"
    await identity.bind_real_name(citizen_id, "李四", first17 + idcard.check_digit(first17))
    return citizen_id


async def snapshot(citizen_id: str, merchant: str) -> dict[str, Any]:
    """Everything the invariants compare, read in one go on the app's loop."""
    accounts = [
        ledger.credit_account(citizen_id),
        ledger.holds_account(citizen_id),
        ledger.merchant_account(merchant),
        ledger.FUNDING,
    ]
    placeholders = ", ".join(["{}"] * len(accounts))
    balances = await fetch(
        "SELECT a.id, a.balance, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.to_account = a.id) "
        "- (SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t "
        f"WHERE t.from_account = a.id) AS computed FROM wallet_account a "
        f"WHERE a.id IN ({placeholders})",
        *accounts,
    )
    total = await fetch_one("SELECT COALESCE(SUM(balance), 0) AS total FROM wallet_account")
    holds = await fetch(
        "SELECT h.id, h.status, h.amount, h.captured, h.released, h.refunded, "
        "(SELECT COUNT(*) FROM wallet_transfer t WHERE t.reference = h.id "
        "AND t.kind IN ('capture', 'release')) AS resolutions "
        "FROM wallet_hold h WHERE h.citizen_id = {}",
        citizen_id,
    )
    charges = await fetch(
        "SELECT id, amount, refunded FROM wallet_charge WHERE citizen_id = {}", citizen_id
    )
    bills = await fetch(
        "SELECT reference, remaining FROM wallet_bill WHERE citizen_id = {}", citizen_id
    )
    transfers = await fetch_one(
        "SELECT COUNT(*) AS n FROM wallet_transfer WHERE citizen_id = {}", citizen_id
    )
    return {
        "wallet": await service.wallet_view(citizen_id),
        "balances": [(r["id"], int(r["balance"]), int(r["computed"])) for r in balances],
        "total": int(total["total"]) if total else None,
        "holds": {r["id"]: dict(r) for r in holds},
        "charges": {r["id"]: dict(r) for r in charges},
        "bills": {r["reference"]: int(r["remaining"]) for r in bills},
        "transfers": int(transfers["n"]) if transfers else 0,
    }


class WalletMachine(RuleBasedStateMachine):
    portal: Any = None  # the test client's blocking portal, set by the test
    start = local_noon()

    def __init__(self) -> None:
        super().__init__()
        self.now = self.start
        clock.set_source(lambda: self.now)
        self.merchant = f"model-{uuid.uuid4().hex[:10]}"
        self.citizen_id: str = self.call(new_verified_citizen)
        self.model = WalletModel(limit=10_000)
        self.call(service.set_credit_limit, "model-admin", self.citizen_id, 10_000)
        self.calls: list[KeyedCall] = []

    def teardown(self) -> None:
        clock.set_source(None)

    # Plumbing -------------------------------------------------------------------------------

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        async def run() -> Any:
            return await fn(*args, **kwargs)

        return self.portal.call(run)

    def tick(self) -> None:
        """Every step happens a second after the last, so bills never tie on creation time."""
        self.now += timedelta(seconds=1)

    def keyed(self, path: str, payload: dict[str, Any], status_code: int, work: Any) -> Any:
        """Call `work` the way an endpoint does, under a fresh Idempotency-Key; return the
        decoded answer, or the ProblemError it raised."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        key = uuid.uuid4().hex

        async def run() -> tuple[int, bytes, ProblemError | None]:
            try:
                response = await idempotent(
                    FakeRequest(path, body),  # type: ignore[arg-type]
                    scope=f"model:{self.citizen_id}",
                    key=key,
                    required=True,
                    status_code=status_code,
                    run=work,
                )
            except ProblemError as error:
                problem = problem_response(
                    error.status, error.code, error.title, error.detail, error.errors
                )
                return error.status, msgspec.json.encode(problem.content), error
            return response.status_code, bytes(response.content), None

        status, content, error = self.portal.call(run)
        self.calls.append(KeyedCall(path, body, key, status, content))
        return error if error is not None else json.loads(content)

    def hold_id(self, index: int, *, status: str | None = None) -> str | None:
        ids = [i for i, h in self.model.holds.items() if status is None or h.status == status]
        return ids[index % len(ids)] if ids else None

    def expect_refusal(self, outcome: Any, code: str | None) -> bool:
        """True when accepted; checks a refusal carries the code the model predicted."""
        if code is None:
            assert not isinstance(outcome, ProblemError), f"refused: {outcome!r}"
            return True
        assert isinstance(outcome, ProblemError), f"accepted, but the model says {code}"
        assert outcome.code == code, (outcome.code, code)
        return False

    # Rules ----------------------------------------------------------------------------------

    @rule(amount=st.integers(1, 6_000), expires_in=st.integers(60, 3 * 86_400))
    def hold(self, amount: int, expires_in: int) -> None:
        self.tick()
        expected = self.model.refusal(amount, self.now)
        outcome = self.keyed(
            "/api/v1/apps/wallet/holds",
            {"amount": amount, "expires_in": expires_in},
            201,
            lambda: service.create_hold(self.citizen_id, self.merchant, amount, "押金", expires_in),
        )
        if self.expect_refusal(outcome, expected):
            expires_at = self.now + timedelta(seconds=expires_in)
            self.model.holds[outcome["hold_id"]] = ModelHold(amount, expires_at)
            assert self.model.headroom >= 0

    @precondition(lambda self: self.model.holds)
    @rule(index=st.integers(0, 99), share=st.floats(0, 1.2))
    def capture(self, index: int, share: float) -> None:
        hold_id = self.hold_id(index)
        if hold_id is None:
            return
        self.tick()
        hold = self.model.holds[hold_id]
        amount = max(1, round(hold.amount * share))
        expected = (
            "hold_not_open"
            if hold.status != "held"
            else ("validation_error" if amount > hold.amount else None)
        )
        outcome = self.keyed(
            f"/api/v1/apps/wallet/holds/{hold_id}/capture",
            {"amount": amount},
            200,
            lambda: service.capture_hold(self.merchant, hold_id, amount),
        )
        if self.expect_refusal(outcome, expected):
            assert (outcome["captured"], outcome["released"]) == (amount, hold.amount - amount)
            hold.status, hold.captured = "captured", amount
            self.model.bill(hold_id, amount, self.now)

    @precondition(lambda self: self.model.holds)
    @rule(index=st.integers(0, 99))
    def void(self, index: int) -> None:
        hold_id = self.hold_id(index)
        if hold_id is None:
            return
        self.tick()
        hold = self.model.holds[hold_id]
        expected = None if hold.status == "held" else "hold_not_open"
        outcome = self.keyed(
            f"/api/v1/apps/wallet/holds/{hold_id}/void",
            {},
            200,
            lambda: service.void_hold(self.merchant, hold_id),
        )
        if self.expect_refusal(outcome, expected):
            hold.status = "voided"

    @rule(amount=st.integers(1, 6_000))
    def charge(self, amount: int) -> None:
        self.tick()
        expected = self.model.refusal(amount, self.now)
        outcome = self.keyed(
            "/api/v1/apps/wallet/charges",
            {"amount": amount},
            201,
            lambda: service.charge(self.citizen_id, self.merchant, amount, "停车费"),
        )
        if self.expect_refusal(outcome, expected):
            self.model.charges[outcome["charge_id"]] = ModelCharge(amount)
            self.model.bill(outcome["charge_id"], amount, self.now)
            assert self.model.headroom >= 0

    @precondition(lambda self: self.model.holds or self.model.charges)
    @rule(index=st.integers(0, 99), amount=st.integers(1, 4_000))
    def refund(self, index: int, amount: int) -> None:
        targets = [*self.model.charges, *self.model.holds]
        if not targets:
            return
        self.tick()
        target = targets[index % len(targets)]
        is_charge = target in self.model.charges
        expected = None if amount <= self.model.refundable(target) else "refund_exceeds_charge"
        outcome = self.keyed(
            "/api/v1/apps/wallet/refunds",
            {"charge_id" if is_charge else "hold_id": target, "amount": amount},
            201,
            lambda: service.refund(
                self.merchant,
                charge_id=target if is_charge else None,
                hold_id=None if is_charge else target,
                amount=amount,
            ),
        )
        if self.expect_refusal(outcome, expected):
            self.model.refund(target, amount)

    @rule(amount=st.integers(1, 8_000))
    def repay(self, amount: int) -> None:
        self.tick()
        expected = None if amount <= self.model.outstanding else "overpayment"
        outcome = self.keyed(
            "/api/v1/wallet/repayments",
            {"amount": amount},
            200,
            lambda: service.repay(self.citizen_id, amount),
        )
        if self.expect_refusal(outcome, expected):
            self.model.pay_down(amount)
            assert outcome["outstanding"] == self.model.outstanding

    @rule(limit=st.integers(0, 20_000))
    def change_limit(self, limit: int) -> None:
        self.tick()
        wallet = self.call(service.set_credit_limit, "model-admin", self.citizen_id, limit)
        self.model.limit = limit
        assert wallet.credit_limit == limit

    @rule(seconds=st.integers(0, 13 * 86_400))
    def time_passes_and_holds_expire(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self.call(tasks.expire_holds)
        for hold in self.model.holds.values():
            if hold.status == "held" and hold.expires_at <= self.now:
                hold.status = "expired"

    @rule()
    def dues_job(self) -> None:
        self.tick()
        self.call(tasks.review_dues)

    @precondition(lambda self: self.calls)
    @rule(index=st.integers(0, 999))
    def retry_with_the_same_key(self, index: int) -> None:
        if not self.calls:
            return
        first = self.calls[index % len(self.calls)]
        before = self.call(snapshot, self.citizen_id, self.merchant)

        async def must_not_run() -> Any:
            raise AssertionError("a replay ran the work again")

        async def replay() -> tuple[int, bytes, str | None]:
            response = await idempotent(
                FakeRequest(first.path, first.body),  # type: ignore[arg-type]
                scope=f"model:{self.citizen_id}",
                key=first.key,
                required=True,
                status_code=first.status,
                run=must_not_run,
            )
            return (
                response.status_code,
                bytes(response.content),
                response.headers.get("Idempotent-Replayed"),
            )

        status, content, replayed = self.portal.call(replay)
        assert (status, content, replayed) == (first.status, first.content, "true")
        after = self.call(snapshot, self.citizen_id, self.merchant)
        assert after["transfers"] == before["transfers"]

    @precondition(lambda self: self.calls)
    @rule(index=st.integers(0, 999))
    def same_key_other_request(self, index: int) -> None:
        if not self.calls:
            return
        first = self.calls[index % len(self.calls)]
        other = json.dumps({**json.loads(first.body), "memo": "另一个"}).encode()

        async def reuse() -> Exception | None:
            try:
                await idempotent(
                    FakeRequest(first.path, other),  # type: ignore[arg-type]
                    scope=f"model:{self.citizen_id}",
                    key=first.key,
                    required=True,
                    status_code=first.status,
                    run=lambda: asyncio.sleep(0),
                )
            except IdempotencyKeyReused as refused:
                return refused
            return None

        assert self.portal.call(reuse) is not None

    # Invariants -----------------------------------------------------------------------------

    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        state = self.call(snapshot, self.citizen_id, self.merchant)
        assert state["total"] == 0, "the ledger does not sum to zero"
        for account, balance, computed in state["balances"]:
            assert balance == computed, f"{account}: {balance} ≠ {computed} from transfers"
        model, wallet = self.model, state["wallet"]
        assert (wallet.credit_limit, wallet.held, wallet.outstanding) == (
            model.limit,
            model.held,
            model.outstanding,
        )
        assert wallet.available == max(0, model.limit - model.outstanding - model.held)
        assert wallet.status == ("suspended" if model.overdue(self.now) else "active")
        assert set(state["holds"]) == set(model.holds)
        for hold_id, hold in model.holds.items():
            row = state["holds"][hold_id]
            assert (row["status"], int(row["captured"]), int(row["refunded"])) == (
                hold.status,
                hold.captured,
                hold.refunded,
            )
            assert int(row["resolutions"]) <= 2 and int(row["refunded"]) <= int(row["captured"])
            if hold.status != "held":
                assert int(row["captured"]) + int(row["released"]) == hold.amount
        for charge_id, charge in model.charges.items():
            row = state["charges"][charge_id]
            assert int(row["refunded"]) == charge.refunded <= charge.amount
        assert state["bills"] == {b.reference: b.remaining for b in model.bills}


WalletMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


async def test_the_wallet_behaves_like_its_model(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    WalletMachine.portal = client.blocking_portal
    try:
        await asyncio.to_thread(
            run_state_machine_as_test, WalletMachine, settings=WalletMachine.TestCase.settings
        )
    finally:
        clock.set_source(None)
    assert await in_app(client, ledger_problems) == []

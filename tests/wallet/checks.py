"""Whole-ledger consistency checks, shared by the wallet tests and the model-based test.

Each check recomputes a figure from the immutable transfers (or the holds, charges and
bills) and compares it with what the wallet keeps; `ledger_problems()` lists every
disagreement, so a failing test says exactly what went wrong.
"""

from __future__ import annotations

from typing import Any

from app.database import fetch, fetch_one
from wallet.lines import as_utc


async def ledger_problems() -> list[str]:
    problems: list[str] = []
    total = await fetch_one("SELECT COALESCE(SUM(balance), 0) AS total FROM wallet_account")
    assert total is not None
    if int(total["total"]) != 0:
        problems.append(f"accounts sum to {total['total']}, not 0")
    negative = await fetch("SELECT id FROM wallet_transfer WHERE amount <= 0")
    problems += [f"transfer {r['id']} moves a non-positive amount" for r in negative]
    for row in await fetch(
        "SELECT a.id, a.balance, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.to_account = a.id) "
        "- (SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t "
        "WHERE t.from_account = a.id) AS computed FROM wallet_account a"
    ):
        if int(row["balance"]) != int(row["computed"]):
            problems.append(f"{row['id']}: balance {row['balance']} ≠ transfers {row['computed']}")
    problems += await _line_problems()
    problems += await _hold_problems()
    problems += await _refund_problems()
    return problems


async def _line_problems() -> list[str]:
    problems: list[str] = []
    for r in await fetch(
        "SELECT c.citizen_id, c.held, c.outstanding, c.next_due_at, "
        "COALESCE((SELECT balance FROM wallet_account "
        "WHERE id = 'citizen:' || c.citizen_id || ':holds'), 0) AS holds_balance, "
        "COALESCE((SELECT balance FROM wallet_account "
        "WHERE id = 'citizen:' || c.citizen_id || ':credit'), 0) AS credit_balance, "
        "(SELECT COALESCE(SUM(h.amount), 0) FROM wallet_hold h "
        "WHERE h.citizen_id = c.citizen_id AND h.status = 'held') AS open_holds, "
        "(SELECT COALESCE(SUM(b.remaining), 0) FROM wallet_bill b "
        "WHERE b.citizen_id = c.citizen_id) AS unpaid, "
        "(SELECT MIN(b.due_at) FROM wallet_bill b "
        "WHERE b.citizen_id = c.citizen_id AND b.remaining > 0) AS first_due "
        "FROM credit_line c"
    ):
        who, held, outstanding = r["citizen_id"], int(r["held"]), int(r["outstanding"])
        if not held == int(r["holds_balance"]) == int(r["open_holds"]):
            problems.append(
                f"{who}: held {held}, holds account {r['holds_balance']}, "
                f"open holds {r['open_holds']}"
            )
        if outstanding != -int(r["credit_balance"]) - held:
            problems.append(f"{who}: outstanding {outstanding} ≠ −credit − held")
        if outstanding != int(r["unpaid"]) or outstanding < 0 or held < 0:
            problems.append(f"{who}: outstanding {outstanding}, bills unpaid {r['unpaid']}")
        if _when(r["next_due_at"]) != _when(r["first_due"]):
            problems.append(f"{who}: next_due_at {r['next_due_at']} ≠ {r['first_due']}")
    return problems


def _when(value: Any) -> Any:
    return None if value is None else as_utc(value)


async def _hold_problems() -> list[str]:
    problems: list[str] = []
    for h in await fetch(
        "SELECT h.id, h.status, h.amount, h.captured, h.released, "
        "(SELECT COUNT(*) FROM wallet_transfer t WHERE t.reference = h.id "
        "AND t.kind = 'capture') AS captures, "
        "(SELECT COUNT(*) FROM wallet_transfer t WHERE t.reference = h.id "
        "AND t.kind = 'release') AS releases, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.reference = h.id "
        "AND t.kind = 'capture') AS captured_sum, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.reference = h.id "
        "AND t.kind = 'release') AS released_sum FROM wallet_hold h"
    ):
        hid, captured, released = h["id"], int(h["captured"]), int(h["released"])
        if int(h["captures"]) > 1 or int(h["releases"]) > 1:
            problems.append(f"hold {hid} resolved more than once")
        if int(h["captured_sum"]) != captured or int(h["released_sum"]) != released:
            problems.append(f"hold {hid}: transfers disagree with captured/released")
        if h["status"] == "held" and captured + released != 0:
            problems.append(f"hold {hid} is open but has been resolved")
        if h["status"] != "held" and captured + released != int(h["amount"]):
            problems.append(f"hold {hid}: captured + released ≠ amount")
        if h["status"] in {"voided", "expired"} and captured != 0:
            problems.append(f"hold {hid} {h['status']} but captured {captured}")
    return problems


async def _refund_problems() -> list[str]:
    problems: list[str] = []
    for table, taken, column in (
        ("wallet_charge", "amount", "charge_id"),
        ("wallet_hold", "captured", "hold_id"),
    ):
        for r in await fetch(
            f"SELECT x.id, x.{taken} AS taken, x.refunded, "
            f"(SELECT COALESCE(SUM(f.amount), 0) FROM wallet_refund f "
            f"WHERE f.{column} = x.id) AS refunds FROM {table} x"
        ):
            if not int(r["refunded"]) == int(r["refunds"]) <= int(r["taken"]):
                problems.append(
                    f"{table} {r['id']}: refunded {r['refunded']}, refunds {r['refunds']}, "
                    f"taken {r['taken']}"
                )
    for r in await fetch(
        "SELECT f.id, f.amount, f.payout, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.reference = f.id "
        "AND t.kind = 'refund') AS refunded, "
        "(SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transfer t WHERE t.reference = f.id "
        "AND t.kind = 'payout') AS paid_out FROM wallet_refund f"
    ):
        if int(r["refunded"]) != int(r["amount"]) or int(r["paid_out"]) != int(r["payout"]):
            problems.append(f"refund {r['id']}: transfers disagree with the refund")
    return problems


async def events_of(citizen_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the wallet published for a citizen through the outbox, oldest first."""
    rows = await fetch(
        "SELECT kind, citizen_id, miniapp, title, body, data FROM outbox_event "
        "WHERE citizen_id = {} ORDER BY created_at, id",
        citizen_id,
    )
    return [dict(r) for r in rows if kind is None or r["kind"] == kind]


async def app_events(miniapp: str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the wallet published about a mini-app (its webhooks), oldest first."""
    rows = await fetch(
        "SELECT kind, citizen_id, miniapp, title, body, data FROM outbox_event "
        "WHERE miniapp = {} ORDER BY created_at, id",
        miniapp,
    )
    return [dict(r) for r in rows if kind is None or r["kind"] == kind]

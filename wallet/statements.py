"""Statements: the citizen's bills grouped by due date, newest due date first.

A statement is everything that falls due on one day (Asia/Shanghai): its amount, what is
left to pay, and whether it is open, overdue or paid. Pages follow the contract's list
shape; the cursor is the last due date shown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from app.database import fetch
from app.errors import FieldError, ValidationFailed
from app.pagination import decode_cursor, encode_cursor
from wallet import clock
from wallet.dues import last_day_to_pay
from wallet.lines import as_utc
from wallet.schemas import Statement, StatementItem


def _cursor_due(cursor: str | None) -> datetime | None:
    after = decode_cursor(cursor)
    if not after:
        return None
    try:
        return as_utc(str(after[0]))
    except ValueError:
        raise ValidationFailed(
            errors=[FieldError("cursor", "not a cursor this API returned")]
        ) from None


async def list_statements(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[Statement], str | None]:
    before = _cursor_due(cursor)
    where = "citizen_id = {}"
    args: list[Any] = [citizen_id]
    if before is not None:
        where += " AND due_at < {}"
        args.append(before)
    groups = await fetch(
        "SELECT due_at, SUM(amount) AS amount, SUM(remaining) AS remaining FROM wallet_bill "
        f"WHERE {where} GROUP BY due_at ORDER BY due_at DESC LIMIT {int(limit) + 1}",
        *args,
    )
    more = len(groups) > limit
    groups = groups[:limit]
    if not groups:
        return [], None
    dues = [as_utc(g["due_at"]) for g in groups]
    rows = await fetch(
        "SELECT kind, reference, miniapp, memo, amount, remaining, created_at, due_at "
        "FROM wallet_bill WHERE citizen_id = {} AND due_at >= {} AND due_at <= {} "
        "ORDER BY created_at, id",
        citizen_id,
        min(dues),
        max(dues),
    )
    items: dict[datetime, list[StatementItem]] = defaultdict(list)
    for row in rows:
        items[as_utc(row["due_at"])].append(_item(row))
    now = clock.now()
    statements = [
        _statement(due, int(g["amount"]), int(g["remaining"]), items[due], now)
        for due, g in zip(dues, groups, strict=True)
    ]
    next_cursor = encode_cursor(dues[-1].isoformat()) if more else None
    return statements, next_cursor


def _item(row: dict[str, Any]) -> StatementItem:
    return StatementItem(
        kind=row["kind"],
        reference=row["reference"],
        miniapp=row["miniapp"],
        memo=row["memo"],
        amount=int(row["amount"]),
        remaining=int(row["remaining"]),
        created_at=as_utc(row["created_at"]),
    )


def _statement(
    due_at: datetime, amount: int, remaining: int, items: list[StatementItem], now: datetime
) -> Statement:
    status = "paid" if remaining == 0 else ("overdue" if due_at <= now else "open")
    day = last_day_to_pay(due_at)
    return Statement(
        id=day,
        due_date=day,
        due_at=due_at,
        amount=amount,
        remaining=remaining,
        status=status,
        items=items,
    )

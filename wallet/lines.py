"""Credit lines: opening from the bureau, the overspend guard, locking, and the wallet view.

The guard is one conditional UPDATE on the citizen's `credit_line` row, so that no hold or
charge is ever accepted that leaves `credit_limit − outstanding − held` negative: on SQLite
the write transaction is serialised (BEGIN IMMEDIATE); on PostgreSQL the UPDATE takes the
row lock and re-checks its WHERE against the latest committed row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.database import fetch, fetch_one
from app.errors import NotFound
from wallet.bureau import get_credit_bureau, limit_for_score
from wallet.errors import CreditLimitExceeded, WalletSuspended

_LINE_COLUMNS = "citizen_id, credit_limit, held, outstanding, status, next_due_at"


def as_utc(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def yuan(fen: int) -> str:
    """Fen as a person reads it: ¥12.30."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


@dataclass(frozen=True)
class Line:
    citizen_id: str
    credit_limit: int
    held: int
    outstanding: int
    status: str
    next_due_at: datetime | None

    @property
    def headroom(self) -> int:
        """credit_limit − outstanding − held; negative after a limit was lowered."""
        return self.credit_limit - self.outstanding - self.held

    def overdue(self, now: datetime) -> bool:
        return self.next_due_at is not None and self.next_due_at <= now

    def suspended(self, now: datetime) -> bool:
        return self.status == "suspended" or self.overdue(now)


def _line(row: dict[str, Any]) -> Line:
    due = row["next_due_at"]
    return Line(
        citizen_id=row["citizen_id"],
        credit_limit=int(row["credit_limit"]),
        held=int(row["held"]),
        outstanding=int(row["outstanding"]),
        status=row["status"],
        next_due_at=as_utc(due) if due is not None else None,
    )


async def find_line(citizen_id: str) -> Line | None:
    row = await fetch_one(
        f"SELECT {_LINE_COLUMNS} FROM credit_line WHERE citizen_id = {{}}", citizen_id
    )
    return _line(row) if row is not None else None


async def open_line(citizen_id: str, now: datetime) -> None:
    """Inside atomic(): open the citizen's credit line once, its limit from the credit score.

    Only a real-name-verified citizen has a wallet; verification is never undone, so it is
    checked here, once, and not on every hold.
    """
    from identity.errors import RealNameRequired
    from identity.service import citizen_brief

    brief = await citizen_brief(citizen_id)
    if brief is None:
        raise NotFound("No such citizen.")
    if not brief.real_name_verified:
        raise RealNameRequired("The credit wallet needs real-name verification first.")
    score = await get_credit_bureau().credit_score(citizen_id)
    await fetch(
        "INSERT INTO credit_line (citizen_id, credit_limit, held, outstanding, status, "
        "credit_score, limit_source, next_due_at, overdue_notice_at, opened_at, updated_at) "
        "VALUES ({}, {}, 0, 0, 'active', {}, 'bureau', NULL, NULL, {}, {}) "
        "ON CONFLICT (citizen_id) DO NOTHING",
        citizen_id,
        limit_for_score(score),
        score,
        now,
        now,
    )


async def lock_line(citizen_id: str, now: datetime) -> Line:
    """Inside atomic(): the citizen's line, row-locked (opened first if need be).

    A no-op UPDATE … RETURNING takes the row lock on PostgreSQL and works the same on SQLite,
    where the write transaction already excludes every other writer.
    """
    sql = (
        "UPDATE credit_line SET updated_at = {} WHERE citizen_id = {} "
        f"RETURNING {_LINE_COLUMNS}"
    )
    row = await fetch_one(sql, now, citizen_id)
    if row is None:
        await open_line(citizen_id, now)
        row = await fetch_one(sql, now, citizen_id)
        assert row is not None
    return _line(row)


async def reserve(citizen_id: str, amount: int, now: datetime, *, column: str) -> None:
    """Inside atomic(): add `amount` to `held` (a hold) or `outstanding` (a charge), or refuse.

    THE guard: one conditional UPDATE. It succeeds only while the wallet is active, not
    overdue, and `credit_limit − outstanding − held` stays ≥ 0 afterwards.
    """
    assert column in {"held", "outstanding"}
    sql = (
        f"UPDATE credit_line SET {column} = {column} + {{}}, updated_at = {{}} "
        "WHERE citizen_id = {} AND status = 'active' "
        "AND (next_due_at IS NULL OR next_due_at > {}) "
        "AND credit_limit - outstanding - held >= {} RETURNING citizen_id"
    )
    if await fetch_one(sql, amount, now, citizen_id, now, amount) is not None:
        return
    line = await find_line(citizen_id)
    if line is None:
        await open_line(citizen_id, now)
        if await fetch_one(sql, amount, now, citizen_id, now, amount) is not None:
            return
        line = await find_line(citizen_id)
        assert line is not None
    if line.suspended(now):
        raise WalletSuspended(
            "The wallet is suspended until the overdue bill is repaid; "
            "no new holds or charges meanwhile."
        )
    raise CreditLimitExceeded(
        f"This needs {yuan(amount)} but only {yuan(max(0, line.headroom))} of credit is available."
    )


async def adjust(citizen_id: str, now: datetime, *, held: int = 0, outstanding: int = 0) -> None:
    """Inside atomic(), after lock or guard: move the line's totals (never below zero)."""
    row = await fetch_one(
        "UPDATE credit_line SET held = held + {}, outstanding = outstanding + {}, "
        "updated_at = {} WHERE citizen_id = {} AND held + {} >= 0 AND outstanding + {} >= 0 "
        "RETURNING citizen_id",
        held,
        outstanding,
        now,
        citizen_id,
        held,
        outstanding,
    )
    if row is None:
        raise RuntimeError("credit line totals would go negative: the ledger is inconsistent")


async def set_limit(citizen_id: str, credit_limit: int, now: datetime) -> None:
    """Inside atomic(): an admin's new limit (opening the line first if need be)."""
    await lock_line(citizen_id, now)
    await fetch(
        "UPDATE credit_line SET credit_limit = {}, limit_source = 'admin', updated_at = {} "
        "WHERE citizen_id = {}",
        credit_limit,
        now,
        citizen_id,
    )

"""Writing the scan log: group commit, and the claim that makes a replay visible at once.

Scans that arrive while one write runs go in the next, as one multi-row insert. Before the
rows of an online code scan are inserted, each code is claimed for its venue in
`hc_code_use` (one upsert for the batch that answers every code's first venue). The
primary key serialises claims across processes, so of two venues scanning one code at the
same moment exactly one holds it; the other's record is written, and answered, as a
`code_replayed` denial. This closes the window the read-time check leaves open (a scan at
another venue that is not committed yet, in another process).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from app.database import (
    CityBrainSQLiteEngine,
    SqlRunner,
    atomic,
    fetch,
    get_engine,
    in_transaction,
)

MAX_BATCH = 200
REPLAYED = "code_replayed"
_COLUMNS = (
    "id, venue_id, gate_id, citizen_id, jti, source, result, reason, colour, flagged, "
    "scanned_at, recorded_at, subject_hash"
)
_ROW = "(" + ", ".join(["{}"] * 13) + ")"
Row = tuple[Any, ...]  # the values of _COLUMNS, in order
_VENUE, _JTI, _SOURCE, _RESULT, _REASON, _FLAGGED, _SCANNED_AT = 1, 4, 5, 6, 7, 9, 10


def _insert_sql(count: int, *, skip_duplicates: bool = False) -> str:
    sql = f"INSERT INTO hc_scan ({_COLUMNS}) VALUES {', '.join([_ROW] * count)}"
    # No conflict target: the key is (id) on SQLite, (id, scanned_at) on partitioned PostgreSQL.
    return sql + (" ON CONFLICT DO NOTHING RETURNING id" if skip_duplicates else "")


def _flat(rows: list[Row]) -> list[Any]:
    return [value for row in rows for value in row]


async def insert(rows: list[Row], *, skip_duplicates: bool = False) -> list[dict[str, Any]]:
    return await fetch(_insert_sql(len(rows), skip_duplicates=skip_duplicates), *_flat(rows))


def _claims(rows: list[Row]) -> dict[str, tuple[str, datetime]]:
    """jti → (venue, time) for the online code scans that may hold their code."""
    claims: dict[str, tuple[str, datetime]] = {}
    for row in rows:
        if row[_SOURCE] == "code" and row[_JTI] is not None and row[_REASON] != REPLAYED:
            claims.setdefault(row[_JTI], (row[_VENUE], row[_SCANNED_AT]))
    return claims


def _claim(claims: dict[str, tuple[str, datetime]]) -> tuple[Any, ...]:
    """SQL and values that claim each code for its venue. It returns a row for each code it
    claimed (this venue) and for each held by another venue (that venue; the "update" changes
    nothing); a code this venue held already writes nothing and returns nothing."""
    return (
        f"INSERT INTO hc_code_use (jti, venue_id, seen_at) VALUES "
        f"{', '.join(['({}, {}, {})'] * len(claims))} "
        "ON CONFLICT (jti) DO UPDATE SET venue_id = hc_code_use.venue_id "
        "WHERE hc_code_use.venue_id <> excluded.venue_id "
        "RETURNING jti, venue_id",
        *[v for jti, (venue, at) in claims.items() for v in (jti, venue, at)],
    )


def _settle(rows: list[Row], owners: list[dict[str, Any]]) -> tuple[list[Row], list[bool]]:
    """The rows to insert (a code another venue holds becomes a replay denial), and which."""
    held = {str(r["jti"]): str(r["venue_id"]) for r in owners}
    lost = [
        row[_REASON] != REPLAYED and held.get(row[_JTI], row[_VENUE]) != row[_VENUE] for row in rows
    ]
    return [_as_replay(r) if x else r for r, x in zip(rows, lost, strict=True)], lost


def _as_replay(row: Row) -> Row:
    replay = list(row)
    replay[_RESULT], replay[_REASON], replay[_FLAGGED] = "deny", REPLAYED, True
    return tuple(replay)


async def claim_and_insert(rows: list[Row]) -> list[bool]:
    """Claim the rows' codes, then insert the rows, in one transaction; for each row,
    whether it became a replay denial (another venue held its code first)."""
    claims = _claims(rows)
    engine = get_engine()
    if isinstance(engine, CityBrainSQLiteEngine) and not in_transaction():
        # Everything that can be built before is built here, on the loop: the writer's
        # thread needs the GIL for what it runs, and waits for it while the loop holds it.
        claim = _claim(claims) if claims else None
        insert_sql, values = _insert_sql(len(rows)), _flat(rows)

        def work(run: SqlRunner) -> list[bool]:
            final, lost = _settle(rows, run(*claim) if claim else [])
            run(insert_sql, *(_flat(final) if any(lost) else values))
            return lost

        # The claim and the insert each commit on their own (one hop for both): a claim
        # whose insert never happened only means a code held by a venue that never got an
        # answer; its gate asks again, at the same venue.
        return await engine.run_in_writer(work, transaction=False)
    async with atomic():
        final, lost = _settle(rows, await fetch(*_claim(claims)) if claims else [])
        await insert(final)
    return lost


async def purge_claims(before: datetime) -> int:
    """Forget claims older than `before` (a code lives 90 s; the job keeps an hour)."""
    return len(await fetch("DELETE FROM hc_code_use WHERE seen_at < {} RETURNING jti", before))


class GroupCommit:
    """Commits the scan records that arrive while a commit is running in the next one."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._pending: list[tuple[Row, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.commits = 0  # batches, and rows written through them (for tests, benches)
        self.written = 0

    async def write(self, row: Row) -> bool:
        """Return once `row` is committed (at once inside a caller's transaction): whether
        it was written as a replay denial instead (see `claim_and_insert`)."""
        if in_transaction():
            return (await claim_and_insert([row]))[0]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((row, future))
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            # Outside a transaction (checked above), so the copied context joins none.
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: len(batch)]
            try:
                # The claim (when codes are in it) and one multi-row INSERT, one transaction.
                replayed = await claim_and_insert([row for row, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                self.commits += 1
                self.written += len(batch)
                for (_, future), lost in zip(batch, replayed, strict=True):
                    if not future.done():
                        future.set_result(lost)


writer = GroupCommit()

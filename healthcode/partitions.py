"""The scan log's day partitions on PostgreSQL (SQLite keeps one plain table).

`hc_scan` is partitioned by range on `scanned_at`, one partition per Asia/Shanghai day
(`hc_scan_p20261207` holds 2026-12-07 00:00 to 24:00 in Shanghai), plus `hc_scan_default`,
which catches a row no day partition holds so that no insert can fail. The scheduler creates
the days ahead (`ensure_ahead`); retention detaches and drops the days that ended before the
cutoff (`drop_expired`) instead of deleting their rows one by one.

DDL takes its locks with a short `lock_timeout`: a DETACH waiting behind a long query would
otherwise block every scan queued behind it. A job that times out tries again next hour.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from app.database import atomic, fetch, fetch_one, is_postgres
from healthcode.clock import SHANGHAI

PARENT = "hc_scan"
DEFAULT = "hc_scan_default"
DAYS_AHEAD = 7
LOCK_TIMEOUT = "5s"
COLUMNS = (
    "id, venue_id, gate_id, citizen_id, jti, source, result, reason, colour, flagged, "
    "scanned_at, recorded_at, subject_hash"
)
# On a partitioned table a primary key must hold the partition key.
PRIMARY_KEY = "(id, scanned_at)"
INDEXES = {
    "hc_scan_venue_time": "(venue_id, scanned_at)",
    "hc_scan_citizen_time": "(citizen_id, scanned_at)",
    "hc_scan_time": "(scanned_at)",
    "hc_scan_jti_venue": "(jti, venue_id)",
}
_NAME = re.compile(r"^hc_scan_p(\d{8})$")
log = logging.getLogger("citybrain.healthcode")


def day_of(moment: datetime) -> date:
    """The Asia/Shanghai day a moment falls in (the partition that holds it)."""
    return moment.astimezone(SHANGHAI).date()


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Shanghai day, in UTC."""
    start = datetime.combine(day, time(), SHANGHAI).astimezone(UTC)
    return start, start + timedelta(days=1)  # no DST in China since 1991: a day is 24 h


def _literal(moment: datetime) -> str:
    """A bound for DDL (which takes no parameters): built from a datetime, never from input."""
    return f"'{moment.astimezone(UTC).isoformat()}'"


def bounds_sql(day: date) -> str:
    start, end = day_bounds(day)
    return f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"


async def is_partitioned() -> bool:
    if not is_postgres():
        return False
    row = await fetch_one(
        "SELECT 1 AS yes FROM pg_partitioned_table WHERE partrelid = to_regclass({})", PARENT
    )
    return row is not None


async def day_partitions() -> dict[date, str]:
    """The day partitions attached to hc_scan, by day."""
    rows = await fetch(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass({})",
        PARENT,
    )
    found: dict[date, str] = {}
    for row in rows:
        match = _NAME.match(str(row["name"]))
        if match:
            found[datetime.strptime(match.group(1), "%Y%m%d").date()] = str(row["name"])
    return found


async def create_day(day: date) -> bool:
    """Create the partition of `day` unless it exists; whether it was created. Rows of that
    day already in the default partition are moved into it (an attach fails otherwise)."""
    name = partition_name(day)
    start, end = day_bounds(day)
    async with atomic():
        await fetch(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if await fetch_one("SELECT to_regclass({}) AS oid", name) != {"oid": None}:
            return False
        stray = await fetch_one(
            f"SELECT 1 AS yes FROM {DEFAULT} WHERE scanned_at >= {{}} AND scanned_at < {{}} "
            "LIMIT 1",
            start,
            end,
        )
        if stray is None:
            bounds = bounds_sql(day)
            await fetch(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} {bounds}")
            return True
        await fetch(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        await fetch(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE scanned_at >= {{}} AND scanned_at < {{}} "
            f"RETURNING {COLUMNS}) INSERT INTO {name} ({COLUMNS}) SELECT {COLUMNS} FROM moved",
            start,
            end,
        )
        await fetch(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} {bounds_sql(day)}")
    return True


async def ensure_ahead(now: datetime, days: int = DAYS_AHEAD) -> list[str]:
    """Create the partitions of today and the next `days` days (idempotent); the new ones."""
    if not await is_partitioned():
        return []
    today = day_of(now)
    existing = await day_partitions()
    created = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        try:
            if day not in existing and await create_day(day):
                created.append(partition_name(day))
        except asyncpg.exceptions.LockNotAvailableError:
            log.warning("scan log: %s not created (lock timeout), next run", partition_name(day))
    return created


async def drop_expired(cutoff: datetime) -> tuple[int, list[str]]:
    """Detach and drop every day partition that ended at or before `cutoff`: (rows, names).

    Rows are counted before the lock is taken: no scan can arrive in a day past retention
    (an offline scan older than the retention is refused)."""
    dropped: list[str] = []
    rows = 0
    for day, name in sorted((await day_partitions()).items()):
        if day_bounds(day)[1] > cutoff:
            continue
        count = await fetch_one(f"SELECT count(*) AS n FROM {name}")
        try:
            async with atomic():
                await fetch(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                await fetch(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")
                await fetch(f"DROP TABLE {name}")
        except asyncpg.exceptions.LockNotAvailableError:
            log.warning("scan log: %s not dropped (lock timeout), next run", name)
            continue
        rows += int(count["n"]) if count else 0
        dropped.append(name)
    return rows, dropped


async def partitions_of(sql: str, *args: object) -> list[str]:
    """The hc_scan partitions a query's plan reads (EXPLAIN): what pruning left."""
    plan = await fetch("EXPLAIN (COSTS OFF) " + sql, *args)
    text = "\n".join(str(next(iter(row.values()))) for row in plan)
    return sorted(set(re.findall(r"\b(hc_scan_(?:p\d{8}|default))\b", text)))

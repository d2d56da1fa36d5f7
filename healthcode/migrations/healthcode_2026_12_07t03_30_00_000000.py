"""hc_scan partitioned by day on PostgreSQL (SQLite: nothing to do).

One transaction: a partitioned copy of hc_scan is created with one partition per
Asia/Shanghai day (from the oldest kept day, at most retention + 1 days back, to 7 days
ahead) and a DEFAULT partition, the rows are copied, the old table is dropped and the copy
takes its name, its primary key (id, scanned_at: a partitioned table's key must hold the
partition key) and its indexes. The old table is locked against writes (SHARE) for the copy.
The DDL is frozen here, not imported: `healthcode.partitions` keeps the days up to date."""

from datetime import UTC, date, datetime, time, timedelta

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from healthcode.clock import SHANGHAI

ID = "2026-12-07T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hc_scan partitioned by day on PostgreSQL"

DAYS_AHEAD = 7
INDEXES = {
    "hc_scan_venue_time": "(venue_id, scanned_at)",
    "hc_scan_citizen_time": "(citizen_id, scanned_at)",
    "hc_scan_time": "(scanned_at)",
    "hc_scan_jti_venue": "(jti, venue_id)",
}
COLUMNS = (
    "id, venue_id, gate_id, citizen_id, jti, source, result, reason, colour, flagged, "
    "scanned_at, recorded_at, subject_hash"
)


def _bounds(day: date) -> str:
    start = datetime.combine(day, time(), SHANGHAI).astimezone(UTC)
    end = start + timedelta(days=1)
    return f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


async def _partitioned(engine) -> bool:
    rows = await engine.run_ddl(
        "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('hc_scan')"
    )
    return bool(rows)


async def _keys(engine, primary_key: str) -> None:
    await engine.run_ddl(f"ALTER TABLE hc_scan ADD CONSTRAINT hc_scan_pkey PRIMARY KEY {primary_key}")
    for name, columns in INDEXES.items():
        await engine.run_ddl(f"CREATE INDEX {name} ON hc_scan {columns}")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="healthcode", description=DESCRIPTION
    )

    async def partition() -> None:
        engine = engine_finder()
        if engine.engine_type != "postgres" or await _partitioned(engine):
            return
        from app.settings import get_settings

        await engine.run_ddl("LOCK TABLE hc_scan IN SHARE MODE")
        oldest = (await engine.run_ddl("SELECT min(scanned_at) AS m FROM hc_scan"))[0]["m"]
        today = datetime.now(UTC).astimezone(SHANGHAI).date()
        kept = today - timedelta(days=get_settings().scan_retention_days + 1)
        first = today if oldest is None else min(today, max(kept, oldest.astimezone(SHANGHAI).date()))
        await engine.run_ddl(
            "CREATE TABLE hc_scan_partitioned (LIKE hc_scan INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS) PARTITION BY RANGE (scanned_at)"
        )
        day = first
        while day <= today + timedelta(days=DAYS_AHEAD):
            await engine.run_ddl(
                f"CREATE TABLE hc_scan_p{day:%Y%m%d} PARTITION OF hc_scan_partitioned {_bounds(day)}"
            )
            day += timedelta(days=1)
        await engine.run_ddl("CREATE TABLE hc_scan_default PARTITION OF hc_scan_partitioned DEFAULT")
        await engine.run_ddl(
            f"INSERT INTO hc_scan_partitioned ({COLUMNS}) SELECT {COLUMNS} FROM hc_scan"
        )
        await engine.run_ddl("DROP TABLE hc_scan")
        await engine.run_ddl("ALTER TABLE hc_scan_partitioned RENAME TO hc_scan")
        await _keys(engine, "(id, scanned_at)")
        await engine.run_ddl("ANALYZE hc_scan")

    async def unpartition() -> None:
        engine = engine_finder()
        if engine.engine_type != "postgres" or not await _partitioned(engine):
            return
        await engine.run_ddl("LOCK TABLE hc_scan IN SHARE MODE")
        await engine.run_ddl(
            "CREATE TABLE hc_scan_plain (LIKE hc_scan INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        await engine.run_ddl(f"INSERT INTO hc_scan_plain ({COLUMNS}) SELECT {COLUMNS} FROM hc_scan")
        await engine.run_ddl("DROP TABLE hc_scan")
        await engine.run_ddl("ALTER TABLE hc_scan_plain RENAME TO hc_scan")
        await _keys(engine, "(id)")

    manager.add_raw(partition)
    manager.add_raw_backwards(unpartition)
    return manager

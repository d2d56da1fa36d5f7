"""Composite indexes of the scan log and visits (Piccolo declares single-column ones only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T03:56:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "scan log composite indexes"

INDEXES = {
    "hc_scan_venue_time": "hc_scan (venue_id, scanned_at)",
    "hc_scan_citizen_time": "hc_scan (citizen_id, scanned_at)",
    "hc_scan_time": "hc_scan (scanned_at)",
    "hc_scan_jti": "hc_scan (jti)",
    "hc_visit_region_time": "hc_visit (region_code, declared_at)",
}


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="healthcode", description=DESCRIPTION
    )

    async def create() -> None:
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop() -> None:
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

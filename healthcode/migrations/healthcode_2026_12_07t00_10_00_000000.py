"""hc_scan.subject_hash: the keyed hash of a foreign code's holder (mutual recognition).

A plain ALTER TABLE ... ADD COLUMN (nullable, no default), which PostgreSQL applies to a
partitioned hc_scan and all its partitions alike."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hc_scan.subject_hash for foreign codes"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="healthcode", description=DESCRIPTION
    )

    async def add() -> None:
        await engine_finder().run_ddl("ALTER TABLE hc_scan ADD COLUMN subject_hash VARCHAR(64)")

    async def drop() -> None:
        await engine_finder().run_ddl("ALTER TABLE hc_scan DROP COLUMN subject_hash")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager

"""venue.foreign_codes: whether the venue's gates let other issuers' codes pass (mutual
recognition). Existing venues keep admitting them, as before the column existed."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "venue.foreign_codes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def add() -> None:
        await engine_finder().run_ddl(
            "ALTER TABLE venue ADD COLUMN foreign_codes BOOLEAN NOT NULL DEFAULT TRUE"
        )

    async def drop() -> None:
        await engine_finder().run_ddl("ALTER TABLE venue DROP COLUMN foreign_codes")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager

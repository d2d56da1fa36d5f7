"""The scan log's jti index also carries the venue, so a replay check is two index probes.

"Was this code scanned at another venue?" is `jti = ? AND venue_id <> ?`; with (jti) alone
that reads every scan of the code at this venue too. With (jti, venue_id) it becomes two
range probes (venues before and after this one) that stop at the first row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scan log index on (jti, venue_id)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="healthcode", description=DESCRIPTION
    )

    async def create() -> None:
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS hc_scan_jti_venue ON hc_scan (jti, venue_id)"
        )
        await engine.run_ddl("DROP INDEX IF EXISTS hc_scan_jti")

    async def drop() -> None:
        engine = engine_finder()
        await engine.run_ddl("CREATE INDEX IF NOT EXISTS hc_scan_jti ON hc_scan (jti)")
        await engine.run_ddl("DROP INDEX IF EXISTS hc_scan_jti_venue")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

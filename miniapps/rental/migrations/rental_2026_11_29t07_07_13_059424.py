"""The tenant register's sealed real name, step 2 of 2: every clear name sealed, row by row,
with the app's own key (`miniapps.sdk.Sealer`, the keyring from the environment as usual),
then the clear column dropped (SQLite 3.35+ and PostgreSQL drop columns in place).

Backwards, the clear column comes back empty here and step 1's backwards fills it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from miniapps.sdk import Sealer

ID = "2026-11-29T07:07:13:059424"
VERSION = "1.38.0"
DESCRIPTION = "tenant register: real names sealed, the clear column dropped"

BATCH = 500


def purpose(lease_id: str) -> str:
    # As miniapps/rental/leases.py seals it (frozen here: a migration must not change).
    return f"tenant-register:{lease_id}"


async def seal_names() -> None:
    """Seal each lease's clear tenant name (NULL until signed: stays NULL); raw steps run
    before the drop."""
    engine = engine_finder()
    sealer = Sealer("rental")
    last = ""
    while True:
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, tenant_real_name, tenant_real_name_sealed FROM rental_lease "
                f"WHERE id > {{}} ORDER BY id LIMIT {BATCH}",
                last,
            )
        )
        if not rows:
            return
        for row in rows:
            if row["tenant_real_name"] is not None and row["tenant_real_name_sealed"] is None:
                await engine.run_querystring(
                    QueryString(
                        "UPDATE rental_lease SET tenant_real_name_sealed = {} WHERE id = {}",
                        sealer.seal(row["tenant_real_name"], purpose(row["id"])),
                        row["id"],
                    )
                )
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="rental", description=DESCRIPTION
    )

    manager.add_raw(seal_names)

    manager.drop_column(
        table_class_name="Lease",
        tablename="rental_lease",
        column_name="tenant_real_name",
        db_column_name="tenant_real_name",
        schema=None,
    )

    return manager

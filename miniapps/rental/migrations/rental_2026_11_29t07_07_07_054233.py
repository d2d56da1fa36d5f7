"""The tenant register's sealed real name, step 1 of 2: the column for it.

Step 2 (`rental_2026_11_29t07_07_13_059424`) seals every clear name into it and drops the
clear column. Backwards, this step opens the sealed names into the clear column that step 2's
backwards put back, before the sealed column goes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from miniapps.sdk import Sealer

ID = "2026-11-29T07:07:07:054233"
VERSION = "1.38.0"
DESCRIPTION = "tenant register: a column for the sealed real name"

BATCH = 500


def purpose(lease_id: str) -> str:
    # As miniapps/rental/leases.py seals it (frozen here: a migration must not change).
    return f"tenant-register:{lease_id}"


async def open_names() -> None:
    """Backwards: each sealed name back in clear, row by row (step 2 re-added the column)."""
    engine = engine_finder()
    sealer = Sealer("rental")
    last = ""
    while True:
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, tenant_real_name_sealed FROM rental_lease "
                f"WHERE id > {{}} ORDER BY id LIMIT {BATCH}",
                last,
            )
        )
        if not rows:
            return
        for row in rows:
            if row["tenant_real_name_sealed"] is not None:
                name = sealer.unseal(row["tenant_real_name_sealed"], purpose(row["id"]))
                await engine.run_querystring(
                    QueryString(
                        "UPDATE rental_lease SET tenant_real_name = {} WHERE id = {}",
                        name,
                        row["id"],
                    )
                )
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="rental", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Lease",
        tablename="rental_lease",
        column_name="tenant_real_name_sealed",
        db_column_name="tenant_real_name_sealed",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw_backwards(open_names)
    return manager

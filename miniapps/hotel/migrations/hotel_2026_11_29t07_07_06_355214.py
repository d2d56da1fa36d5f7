"""The guest register's sealed real name, step 1 of 2: the column for it.

Step 2 (`hotel_2026_11_29t07_07_12_385619`) seals every clear name into it and drops the
clear column. Backwards, this step opens the sealed names into the clear column that step 2's
backwards put back, before the sealed column goes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from miniapps.sdk import Sealer

ID = "2026-11-29T07:07:06:355214"
VERSION = "1.38.0"
DESCRIPTION = "guest register: a column for the sealed real name"

BATCH = 500


def purpose(record_id: str) -> str:
    # As miniapps/hotel/common.py seals it (frozen here: a migration must not change).
    return f"guest-register:{record_id}"


async def open_names() -> None:
    """Backwards: each sealed name back in clear, row by row (step 2 re-added the column)."""
    engine = engine_finder()
    sealer = Sealer("hotel")
    last = ""
    while True:
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, real_name_sealed FROM hotel_guest_register "
                f"WHERE id > {{}} ORDER BY id LIMIT {BATCH}",
                last,
            )
        )
        if not rows:
            return
        for row in rows:
            if row["real_name_sealed"]:
                name = sealer.unseal(row["real_name_sealed"], purpose(row["id"]))
                await engine.run_querystring(
                    QueryString(
                        "UPDATE hotel_guest_register SET real_name = {} WHERE id = {}",
                        name,
                        row["id"],
                    )
                )
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="hotel", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="GuestRecord",
        tablename="hotel_guest_register",
        column_name="real_name_sealed",
        db_column_name="real_name_sealed",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": "",
            "null": False,
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

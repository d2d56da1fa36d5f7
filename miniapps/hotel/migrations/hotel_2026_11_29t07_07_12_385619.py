"""The guest register's sealed real name, step 2 of 2: every clear name sealed, row by row,
with the app's own key (`miniapps.sdk.Sealer`, the keyring from the environment as usual),
then the clear column dropped (SQLite 3.35+ and PostgreSQL drop columns in place).

Backwards, the clear column comes back empty here and step 1's backwards fills it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from miniapps.sdk import Sealer

ID = "2026-11-29T07:07:12:385619"
VERSION = "1.38.0"
DESCRIPTION = "guest register: real names sealed, the clear column dropped"

BATCH = 500


def purpose(record_id: str) -> str:
    # As miniapps/hotel/common.py seals it (frozen here: a migration must not change).
    return f"guest-register:{record_id}"


async def seal_names() -> None:
    """Seal each row's clear name into `real_name_sealed` (raw steps run before the drop)."""
    engine = engine_finder()
    sealer = Sealer("hotel")
    last = ""
    while True:
        rows = await engine.run_querystring(
            QueryString(
                "SELECT id, real_name, real_name_sealed FROM hotel_guest_register "
                f"WHERE id > {{}} ORDER BY id LIMIT {BATCH}",
                last,
            )
        )
        if not rows:
            return
        for row in rows:
            if not row["real_name_sealed"]:
                await engine.run_querystring(
                    QueryString(
                        "UPDATE hotel_guest_register SET real_name_sealed = {} WHERE id = {}",
                        sealer.seal(row["real_name"], purpose(row["id"])),
                        row["id"],
                    )
                )
        last = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="hotel", description=DESCRIPTION
    )

    manager.add_raw(seal_names)

    manager.drop_column(
        table_class_name="GuestRecord",
        tablename="hotel_guest_register",
        column_name="real_name",
        db_column_name="real_name",
        schema=None,
    )

    return manager

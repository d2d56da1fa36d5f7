from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-29T04:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes for the wallet's hot queries"

INDEXES = (
    # the expiry job: open holds by expiry
    "CREATE INDEX IF NOT EXISTS wallet_hold_status_expires ON wallet_hold (status, expires_at)",
    # a citizen's entries, newest first
    "CREATE INDEX IF NOT EXISTS wallet_transfer_citizen_seq ON wallet_transfer (citizen_id, seq)",
    # a citizen's unpaid bills by due date; statements
    "CREATE INDEX IF NOT EXISTS wallet_bill_citizen_due ON wallet_bill (citizen_id, due_at)",
    # the overdue job
    "CREATE INDEX IF NOT EXISTS credit_line_status_due ON credit_line (status, next_due_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wallet", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_querystring(QueryString(statement))

    async def run_backwards():
        engine = engine_finder()
        for statement in INDEXES:
            name = statement.split(" IF NOT EXISTS ")[1].split(" ON ")[0]
            await engine.run_querystring(QueryString(f"DROP INDEX IF EXISTS {name}"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager

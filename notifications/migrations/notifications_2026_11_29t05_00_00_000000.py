"""Composite and partial indexes of the outbox, the inbox and deliveries (Piccolo declares
single-column ones only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification composite and partial indexes"

INDEXES = {
    # the inbox and the stream: a citizen's notifications by position
    "inbox_notification_citizen_seq": "inbox_notification (citizen_id, seq)",
    # the sweeper: what is still due, oldest first (done rows stay out of the index)
    "outbox_event_due": "outbox_event (next_attempt_at) WHERE status = 'pending'",
    "notification_delivery_due": "notification_delivery (next_attempt_at) WHERE status = 'pending'",
    # the developer's webhook log, newest first
    "notification_delivery_target_time": "notification_delivery (target, created_at)",
}


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
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

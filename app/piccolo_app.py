from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.tables import IdempotencyRecord, ScheduledTick

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ScheduledTick, IdempotencyRecord],
    migration_dependencies=[],
    commands=[],
)

"""Reports' Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.reports.tables import Event, Photo, Step, Worker

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Event, Step, Photo, Worker],
    migration_dependencies=[],
    commands=[],
)

"""Rental's Piccolo app: its tables and its own migrations (no dependency on the core's)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.rental.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="rental",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)

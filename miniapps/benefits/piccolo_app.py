"""Benefits' Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.benefits.tables import Listed, Payment, Period, Preference, Programme

APP_CONFIG = AppConfig(
    app_name="benefits",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Programme, Listed, Payment, Period, Preference],
    migration_dependencies=[],
    commands=[],
)

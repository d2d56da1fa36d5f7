"""Medical's Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.medical.tables import Charge, Department, Hospital, Visit

APP_CONFIG = AppConfig(
    app_name="medical",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Hospital, Department, Visit, Charge],
    migration_dependencies=[],
    commands=[],
)

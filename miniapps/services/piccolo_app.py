"""The services app's Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.services.tables import (
    Application,
    Blob,
    Bundle,
    FieldValue,
    Material,
    Remembered,
    Staff,
    Step,
    StepEvent,
)

APP_CONFIG = AppConfig(
    app_name="services",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        Bundle,
        Staff,
        Application,
        FieldValue,
        Remembered,
        Step,
        StepEvent,
        Material,
        Blob,
    ],
    migration_dependencies=[],
    commands=[],
)

"""Park's Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.park.tables import Entry, Park, Reservation, Slot

APP_CONFIG = AppConfig(
    app_name="park",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Park, Slot, Reservation, Entry],
    migration_dependencies=[],
    commands=[],
)

"""Hotel's Piccolo app: its tables and migrations, run by `citybrain migrate`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.hotel.tables import (
    Extra,
    GuestRecord,
    Hotel,
    Reservation,
    Room,
    RoomType,
    Stay,
)

APP_CONFIG = AppConfig(
    app_name="hotel",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Hotel, RoomType, Room, Reservation, Stay, Extra, GuestRecord],
    migration_dependencies=[],
    commands=[],
)

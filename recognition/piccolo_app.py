from pathlib import Path

from piccolo.conf.apps import AppConfig

from recognition.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="recognition",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    migration_dependencies=["identity.piccolo_app"],
    commands=[],
)

from pathlib import Path

from piccolo.conf.apps import AppConfig

from hello_miniapp.tables import HelloVisit

APP_CONFIG = AppConfig(
    app_name="hello",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[HelloVisit],
    migration_dependencies=[],
    commands=[],
)

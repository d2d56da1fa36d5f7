from pathlib import Path

from piccolo.conf.apps import AppConfig

from identity.tables import (
    AuditEntry,
    Citizen,
    Gate,
    LoginSession,
    OneTimeCode,
    RefreshToken,
    Venue,
)

APP_CONFIG = AppConfig(
    app_name="identity",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Citizen, OneTimeCode, LoginSession, RefreshToken, Venue, Gate, AuditEntry],
    migration_dependencies=["app.piccolo_app"],
    commands=[],
)

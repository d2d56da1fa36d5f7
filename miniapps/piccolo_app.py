"""The platform's Piccolo app.

The in-process mini-apps' own Piccolo apps are listed as migration dependencies, so that
`citybrain migrate` (which runs every app piccolo_conf reaches) creates their tables too,
without the core knowing any mini-app. A mini-app's tables never reference the platform's,
so running them first is harmless.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from miniapps.registry import get_registry
from miniapps.tables import (
    AppOpenId,
    AuthorizationCode,
    DataAccess,
    DeveloperApp,
    Grant,
    SandboxCitizen,
    SandboxEntry,
)

APP_CONFIG = AppConfig(
    app_name="miniapps",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        DeveloperApp,
        AppOpenId,
        Grant,
        AuthorizationCode,
        DataAccess,
        SandboxCitizen,
        SandboxEntry,
    ],
    migration_dependencies=["identity.piccolo_app", *get_registry().piccolo_apps()],
    commands=[],
)

from pathlib import Path

from piccolo.conf.apps import AppConfig

from notifications.tables import (
    Delivery,
    DeliveryAttempt,
    InboxNotification,
    OutboxEvent,
    PushDevice,
    Subscription,
)

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[
        OutboxEvent,
        InboxNotification,
        Delivery,
        DeliveryAttempt,
        Subscription,
        PushDevice,
    ],
    migration_dependencies=["app.piccolo_app"],
    commands=[],
)

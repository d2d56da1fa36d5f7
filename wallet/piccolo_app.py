from pathlib import Path

from piccolo.conf.apps import AppConfig

from wallet.tables import (
    Account,
    Benefit,
    Bill,
    Charge,
    CreditLine,
    Hold,
    Refund,
    Repayment,
    Transfer,
)

APP_CONFIG = AppConfig(
    app_name="wallet",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[CreditLine, Account, Transfer, Hold, Charge, Refund, Repayment, Bill, Benefit],
    migration_dependencies=["identity.piccolo_app"],
    commands=[],
)

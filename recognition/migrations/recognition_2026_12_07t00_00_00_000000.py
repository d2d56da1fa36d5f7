from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rc_trust_version: the versioned trust list of other issuers"


def _params(**extra):
    params = {
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(extra)
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recognition", description=DESCRIPTION)
    manager.add_table(
        class_name="TrustListVersion", tablename="rc_trust_version", schema=None, columns=None
    )
    columns = [
        ("version", Integer, "Integer", _params(default=0, primary_key=True)),
        ("document", Text, "Text", _params()),
        ("change", Varchar, "Varchar", _params(length=40)),
        ("changed_by", Varchar, "Varchar", _params(length=36)),
        ("created_at", Timestamptz, "Timestamptz", _params(default=TimestamptzNow())),
    ]
    for name, column_class, class_name, params in columns:
        manager.add_column(
            table_class_name="TrustListVersion",
            tablename="rc_trust_version",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager

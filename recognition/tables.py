"""The trust list, one row per version: each change by a health_admin writes the whole new
document as the next version (the primary key serialises two concurrent changes), so every
version a gate ever downloaded can be shown again."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class TrustListVersion(Table, tablename="rc_trust_version"):
    version = Integer(primary_key=True)
    document = Text(null=False)  # the JSON served at GET /api/v1/gate/trust-list
    change = Varchar(length=40, null=False)  # what this version changed, e.g. city_added
    changed_by = Varchar(length=36, null=False)
    created_at = Timestamptz(null=False)


TABLES: list[type[Table]] = [TrustListVersion]

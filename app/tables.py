"""The core's own tables: scheduler claims and idempotency records."""

from __future__ import annotations

from piccolo.columns import Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class ScheduledTick(Table, tablename="scheduled_tick"):
    """One row per run of a periodic job; the unique (job, tick) makes each run happen once."""

    id = Serial(primary_key=True)
    job_tick = Varchar(length=250, null=False, unique=True)  # "<job>:<tick>"
    claimed_at = Timestamptz(null=False)


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """The first response to a keyed request, replayed on retries for at least 30 days."""

    id = Serial(primary_key=True)
    scope = Varchar(length=700, null=False, unique=True)  # caller + concrete path + key
    request_hash = Varchar(length=64, null=False)
    state = Varchar(length=10, null=False, default="running")  # running | done
    status_code = SmallInt(null=True, default=None)
    body = Text(null=True, default=None)
    created_at = Timestamptz(null=False, index=True, index_method=IndexMethod.btree)

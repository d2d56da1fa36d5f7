"""The scan log's day partitions on PostgreSQL: made by the migration, created ahead by a
periodic job, dropped whole by retention, and pruned by the gate's and tracing's queries.

Moments are Shanghai noons (never "now"), so no assertion depends on the hour of the run."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from app.database import atomic, fetch, is_postgres
from app.jobs import PERIODIC
from healthcode import codes, partitions, scans, tasks
from healthcode.clock import SHANGHAI, clock
from healthcode.exposure import VISITS, near_query
from tests.app.portal import db_fetch, in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api

MIGRATION = "healthcode.migrations.healthcode_2026_12_07t03_30_00_000000"


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), SHANGHAI)


def today() -> date:
    return partitions.day_of(clock.now())


async def scan_at(api: Api, moment: datetime) -> str:
    """A scan made (and its code issued) at `moment`; its id."""
    citizen, _ = await declared(api)
    gate = await api.gate()
    clock.reset()
    clock.advance(moment - clock.now())
    body = await scan(api, gate, await fresh_code(api, citizen))
    clock.reset()
    scan_id: str = body["scan_id"]
    return scan_id


async def home(api: Api, scan_id: str) -> str | None:
    """The partition a scan record is stored in (None when there is no such record)."""
    rows = await db_fetch(
        api.client, "SELECT tableoid::regclass::text AS part FROM hc_scan WHERE id = {}", scan_id
    )
    return str(rows[0]["part"]) if rows else None


async def exists(api: Api, name: str) -> bool:
    rows = await db_fetch(api.client, "SELECT to_regclass({})::text AS name", name)
    return rows[0]["name"] is not None


async def plan(api: Api, sql: str, *args: Any) -> list[str]:
    return await in_app(api.client, partitions.partitions_of, sql, *args)


async def test_the_scan_log_is_partitioned_on_postgres_only(api: Api) -> None:
    assert await in_app(api.client, partitions.is_partitioned) == is_postgres()


def test_partitions_are_created_by_a_periodic_job() -> None:
    assert PERIODIC["healthcode.tasks.create_scan_partitions"].every <= 6 * 3600


def test_a_partition_is_one_shanghai_day() -> None:
    start, end = partitions.day_bounds(date(2026, 12, 7))
    assert (start.isoformat(), end.isoformat()) == (
        "2026-12-06T16:00:00+00:00",
        "2026-12-07T16:00:00+00:00",
    )
    assert partitions.day_of(start) == date(2026, 12, 7)
    assert partitions.day_of(end - timedelta(microseconds=1)) == date(2026, 12, 7)
    assert partitions.partition_name(date(2026, 12, 7)) == "hc_scan_p20261207"


@pytest.mark.postgres
class TestMigration:
    async def test_the_key_holds_the_partition_key_and_a_default_catches_the_rest(
        self, api: Api
    ) -> None:
        key = await db_fetch(
            api.client,
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint "
            "WHERE conrelid = 'hc_scan'::regclass AND contype = 'p'",
        )
        assert key == [{"d": "PRIMARY KEY (id, scanned_at)"}]
        assert await exists(api, "hc_scan_default")
        far = await scan_at(api, noon(today() + timedelta(days=3000)))
        assert await home(api, far) == "hc_scan_default"

    async def test_an_existing_table_keeps_its_rows(self, api: Api) -> None:
        """Run forwards then backwards on a plain copy in a scratch schema, in a transaction
        that is rolled back: rows move, names swap, keys and indexes are rebuilt."""

        class RolledBack(Exception):
            pass

        seen: dict[str, Any] = {}
        days = [today() - timedelta(days=2), today(), today() - timedelta(days=300)]

        async def run() -> None:
            module = importlib.import_module(MIGRATION)
            manager = await module.forwards()
            async with atomic():
                await fetch("CREATE SCHEMA hc_migration_check")
                await fetch("SET LOCAL search_path = hc_migration_check")
                await fetch(
                    "CREATE TABLE hc_scan (LIKE public.hc_scan INCLUDING DEFAULTS, "
                    "PRIMARY KEY (id))"
                )
                for number, day in enumerate(days):
                    await fetch(
                        "INSERT INTO hc_scan (id, venue_id, gate_id, source, result, flagged, "
                        "scanned_at, recorded_at) VALUES ({}, 'v', 'g', 'code', 'pass', false, "
                        "{}, {})",
                        f"scan-{number}",
                        noon(day),
                        noon(day),
                    )
                await manager.raw[0]()
                seen["homes"] = await fetch(
                    "SELECT id, tableoid::regclass::text AS part FROM hc_scan ORDER BY id"
                )
                seen["indexes"] = await fetch(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = 'hc_migration_check' "
                    "AND tablename = 'hc_scan' ORDER BY 1"
                )
                await manager.raw_backwards[0]()
                seen["back"] = await fetch(
                    "SELECT count(*) AS n, bool_and(tableoid = 'hc_scan'::regclass) AS plain "
                    "FROM hc_scan"
                )
                raise RolledBack

        with pytest.raises(RolledBack):
            await in_app(api.client, run)
        assert seen["homes"] == [
            {"id": "scan-0", "part": partitions.partition_name(days[0])},
            {"id": "scan-1", "part": partitions.partition_name(days[1])},
            {"id": "scan-2", "part": "hc_scan_default"},  # older than the retention: not a day
        ]
        assert [r["indexname"] for r in seen["indexes"]] == sorted(
            ["hc_scan_pkey", *partitions.INDEXES]
        )
        assert seen["back"] == [{"n": 3, "plain": True}]
        assert not await exists(api, "hc_migration_check.hc_scan")


@pytest.mark.postgres
class TestPartitionsAhead:
    async def test_the_job_creates_the_next_days_once(self, api: Api) -> None:
        start = today() + timedelta(days=400)
        stray = await scan_at(api, noon(start + timedelta(days=2)))
        assert await home(api, stray) == "hc_scan_default"
        clock.advance(noon(start) - clock.now())
        await in_app(api.client, tasks.create_scan_partitions)
        days = [start + timedelta(days=n) for n in range(partitions.DAYS_AHEAD + 1)]
        for day in days:
            assert await exists(api, partitions.partition_name(day))
        bounds = await db_fetch(
            api.client,
            "SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE relname = {}",
            partitions.partition_name(start),
        )
        first, end = partitions.day_bounds(start)
        assert bounds[0]["b"] == (
            f"FOR VALUES FROM ('{first:%Y-%m-%d %H:%M:%S}+00') TO ('{end:%Y-%m-%d %H:%M:%S}+00')"
        )
        # A row that had gone to the default partition moved into its day's partition.
        assert await home(api, stray) == partitions.partition_name(start + timedelta(days=2))
        assert await in_app(api.client, partitions.ensure_ahead, clock.now()) == []
        assert not await exists(api, partitions.partition_name(days[-1] + timedelta(days=1)))


@pytest.mark.postgres
class TestRetentionDropsPartitions:
    async def test_a_day_past_retention_is_dropped_and_the_cutoff_day_is_trimmed(
        self, api: Api
    ) -> None:
        purge_at = noon(today())
        cutoff = purge_at - timedelta(days=28)
        cutoff_day = partitions.day_of(cutoff)
        old_day = cutoff_day - timedelta(days=1)
        for day in (old_day, cutoff_day):
            await in_app(api.client, partitions.create_day, day)
        old = await scan_at(api, noon(old_day))
        trimmed = await scan_at(api, cutoff - timedelta(hours=1))
        kept_at_cutoff = await scan_at(api, cutoff + timedelta(hours=1))
        recent = await scan_at(api, purge_at - timedelta(days=1))
        assert await home(api, old) == partitions.partition_name(old_day)
        assert await home(api, trimmed) == partitions.partition_name(cutoff_day)

        purged = await in_app(api.client, scans.purge_expired, now=purge_at)
        assert purged >= 2
        assert not await exists(api, partitions.partition_name(old_day))  # dropped, not emptied
        assert await exists(api, partitions.partition_name(cutoff_day))
        assert await home(api, old) is None
        assert await home(api, trimmed) is None
        assert await home(api, kept_at_cutoff) == partitions.partition_name(cutoff_day)
        assert await home(api, recent) is not None


@pytest.mark.postgres
class TestPruning:
    """EXPLAIN of the queries as the app sends them: only the partitions they need."""

    async def test_the_replay_probe_reads_the_day_of_the_code(self, api: Api) -> None:
        day = today()
        issued = noon(day)
        verified = codes.VerifiedCode(
            "citizen", "green", "j" * 16, issued, issued + timedelta(seconds=90), "kid"
        )
        args = scans.replay_probe_args(verified, "venue")
        assert await plan(api, scans.REPLAY_PROBE, *args) == [partitions.partition_name(day)]
        unbounded = scans.REPLAY_PROBE.replace("AND r.scanned_at >= {} AND r.scanned_at <= {}", "")
        everything = await plan(api, unbounded, *[a for a in args if not isinstance(a, datetime)])
        assert "hc_scan_default" in everything and len(everything) > 2

    async def test_a_code_alive_at_midnight_reads_both_days(self, api: Api) -> None:
        day = today()
        midnight = partitions.day_bounds(day)[1]
        verified = codes.VerifiedCode(
            "citizen", "green", "j" * 16, midnight - timedelta(seconds=45), midnight, "kid"
        )
        args = scans.replay_probe_args(verified, "venue")
        assert await plan(api, scans.REPLAY_PROBE, *args) == sorted(
            [partitions.partition_name(day), partitions.partition_name(day + timedelta(days=1))]
        )

    async def test_exposure_queries_read_the_days_of_their_window(self, api: Api) -> None:
        day = today()
        for back in (1, 2, 3):
            await in_app(api.client, partitions.create_day, day - timedelta(days=back))
        window = await plan(api, VISITS, "citizen", noon(day - timedelta(days=1)), noon(day))
        assert window == sorted(
            [partitions.partition_name(day - timedelta(days=1)), partitions.partition_name(day)]
        )
        visits = [("venue-a", noon(day - timedelta(days=3))), ("venue-b", noon(day))]
        near = await plan(api, *near_query("citizen", visits, timedelta(minutes=30)))
        assert near == sorted(
            [partitions.partition_name(day - timedelta(days=3)), partitions.partition_name(day)]
        )

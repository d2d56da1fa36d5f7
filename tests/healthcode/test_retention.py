"""The scan log is purged after the retention period by a periodic job."""

from __future__ import annotations

from datetime import timedelta

from app.jobs import PERIODIC
from app.settings import get_settings
from healthcode import scans
from healthcode.clock import clock
from tests.app.portal import db_fetch, in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api


async def scanned_days_ago(api: Api, days: int) -> str:
    citizen, _ = await declared(api)
    gate = await api.gate()
    clock.advance(timedelta(days=-days))
    body = await scan(api, gate, await fresh_code(api, citizen))
    clock.reset()
    scan_id: str = body["scan_id"]
    return scan_id


async def exists(api: Api, scan_id: str) -> bool:
    return bool(await db_fetch(api.client, "SELECT id FROM hc_scan WHERE id = {}", scan_id))


class TestRetention:
    async def test_records_older_than_the_retention_are_purged(self, api: Api) -> None:
        assert get_settings().scan_retention_days == 28
        old = await scanned_days_ago(api, 30)
        recent = await scanned_days_ago(api, 20)
        purged = await in_app(api.client, scans.purge_expired)
        assert purged >= 1
        assert not await exists(api, old)
        assert await exists(api, recent)

    async def test_the_retention_is_configurable(self, api: Api) -> None:
        recent = await scanned_days_ago(api, 20)
        await in_app(api.client, scans.purge_expired, retention_days=19)
        assert not await exists(api, recent)

    async def test_code_claims_are_kept_an_hour(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        clock.advance(timedelta(minutes=-61))
        await scan(api, gate, await fresh_code(api, citizen))
        clock.reset()
        await scan(api, gate, await fresh_code(api, citizen))
        claims = "SELECT jti FROM hc_code_use WHERE venue_id = {}"
        assert len(await db_fetch(api.client, claims, gate.venue_id)) == 2
        await in_app(api.client, scans.purge_expired)
        assert len(await db_fetch(api.client, claims, gate.venue_id)) == 1

    def test_the_purge_is_a_periodic_job(self) -> None:
        job = PERIODIC["healthcode.tasks.purge_scan_log"]
        assert job.every <= 24 * 3600

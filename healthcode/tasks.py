"""Health-code jobs: recomputing the visitors of a newly risky region, purging the scan log,
creating the scan log's day partitions ahead (PostgreSQL)."""

from __future__ import annotations

import logging

from app.jobs import periodic, task

log = logging.getLogger("citybrain.healthcode")


@task
async def recompute_region(code: str, level: str, listed_at: str) -> None:
    """Raise everyone who declared a visit to a newly risky region in the last 14 days."""
    from healthcode.service import recompute_region as recompute

    changed = await recompute(code, level, listed_at)
    log.info("risk region %s (%s): %d citizens raised", code, level, changed)


@periodic(3600)
async def purge_scan_log() -> None:
    """Delete scan records older than CITYBRAIN_SCAN_RETENTION_DAYS (default 28)."""
    from healthcode.scans import purge_expired

    purged = await purge_expired()
    log.info("scan log purge: %d records past retention", purged)


@periodic(3600)
async def create_scan_partitions() -> None:
    """Create the scan log's partitions for today and the next 7 days (PostgreSQL; idempotent:
    hourly, so a missed run or a lock timeout is caught up long before the day starts)."""
    from healthcode.clock import clock
    from healthcode.partitions import ensure_ahead

    created = await ensure_ahead(clock.now())
    if created:
        log.info("scan log partitions created: %s", ", ".join(created))

"""Hello's data: visit counts per openid, through the SDK's transaction helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from miniapps.sdk import atomic, fetch, fetch_one


async def count_visit(openid: str) -> int:
    async with atomic():
        row = await fetch_one(
            "INSERT INTO hello_visit (openid, visits, last_visit) VALUES ({}, 1, {}) "
            "ON CONFLICT (openid) DO UPDATE SET visits = hello_visit.visits + 1, "
            "last_visit = excluded.last_visit RETURNING visits",
            openid,
            datetime.now(UTC),
        )
    assert row is not None
    return int(row["visits"])


async def visits_of(openid: str) -> int:
    row = await fetch_one("SELECT visits FROM hello_visit WHERE openid = {}", openid)
    return int(row["visits"]) if row else 0


async def forget(openid: str) -> None:
    async with atomic():
        await fetch("DELETE FROM hello_visit WHERE openid = {}", openid)

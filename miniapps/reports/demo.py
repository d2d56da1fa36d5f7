"""Demo data for `make run`: a grid worker, and events in Xihu and Shangcheng districts.

李四 (13800000002, the second demo citizen) is the grid worker of 330106 (西湖区) and
330102 (上城区); 张三 (13800000001) has reported four events there: one resolved, one being
handled, two waiting. Idempotent: fixed ids, `ON CONFLICT DO NOTHING`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from miniapps.reports.categories import CATEGORIES
from miniapps.sdk import atomic, demo_openid, fetch, now

SLUG = "reports"
DEMO_EVENTS = [
    # key, category, text, region, lat, lng, status, hours ago
    ("hole", "road", "文三路人行道井盖缺失", "330106", 30.276, 120.128, "resolved", 30),
    ("light", "lighting", "教工路路灯不亮", "330106", 30.282, 120.141, "taken", 20),
    ("litter", "sanitation", "西溪路垃圾堆放", "330106", 30.263, 120.110, "open", 2),
    ("drain", "drainage", "湖滨路雨水井堵塞积水", "330102", 30.259, 120.165, "open", 1),
]


def _id(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citybrain:reports:demo:{key}"))


async def seed(context: dict[str, Any]) -> None:
    citizens: list[str] = context.get("citizens", [])
    if len(citizens) < 2:
        return
    reporter = await demo_openid(SLUG, citizens[0])
    worker = await demo_openid(SLUG, citizens[1])
    at = now()
    async with atomic():
        for region in ("330106", "330102"):
            await fetch(
                "INSERT INTO reports_worker (id, openid, region_code, level, assignment_key, "
                "created_at) VALUES ({}, {}, {}, 'grid', {}, {}) "
                "ON CONFLICT (assignment_key) DO NOTHING",
                _id(f"worker:{region}"),
                worker,
                region,
                f"{worker}:{region}",
                at,
            )
        for key, category, text, region, lat, lng, status, hours in DEMO_EVENTS:
            await _event(
                _id(key),
                reporter,
                worker,
                category,
                text,
                region,
                lat,
                lng,
                status,
                at - timedelta(hours=hours),
            )


async def _event(
    event_id: str,
    reporter: str,
    worker: str,
    category: str,
    text: str,
    region: str,
    lat: float,
    lng: float,
    status: str,
    created: Any,
) -> None:
    taken = created + timedelta(hours=1) if status != "open" else None
    resolved = created + timedelta(hours=4) if status == "resolved" else None
    inserted = await fetch(
        "INSERT INTO reports_event (id, openid, category, text, region_code, lat_e6, lng_e6, "
        "status, level, merged_into, worker_openid, deadline_at, escalated_at, created_at, "
        "taken_at, resolved_at, resolution, rating, rating_comment, duplicates) VALUES "
        "({}, {}, {}, {}, {}, {}, {}, {}, 'grid', NULL, {}, {}, NULL, {}, {}, {}, {}, NULL, "
        "NULL, 0) ON CONFLICT (id) DO NOTHING RETURNING id",
        event_id,
        reporter,
        category,
        text,
        region,
        round(lat * 1_000_000),
        round(lng * 1_000_000),
        status,
        worker if taken else None,
        created + timedelta(hours=CATEGORIES[category].deadline_hours),
        created,
        taken,
        resolved,
        "已更换井盖 Cover replaced" if resolved else None,
    )
    if not inserted:
        return  # seeded by an earlier run
    steps: list[tuple[str, str, str | None, Any]] = [("reported", "citizen", None, created)]
    if taken:
        steps.append(("taken", "worker", None, taken))
    if resolved:
        steps.append(("resolved", "worker", "已更换井盖 Cover replaced", resolved))
    for seq, (kind, actor, note, moment) in enumerate(steps, start=1):
        await fetch(
            "INSERT INTO reports_step (id, event, seq, kind, actor, note, region_code, "
            "notified, at) VALUES ({}, {}, {}, {}, {}, {}, NULL, {}, {})",
            _id(f"{event_id}:{seq}"),
            event_id,
            seq,
            kind,
            actor,
            note,
            False,
            moment,
        )

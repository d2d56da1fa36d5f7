"""Demo data for `make run`: a few homes to let in Hangzhou (idempotent: fixed ids).

They belong to a demo landlord no one can sign in as, so they are for browsing the search;
a demo citizen who shares their real name with the app can list homes of their own.
"""

from __future__ import annotations

import uuid
from typing import Any

from miniapps.sdk import atomic, fetch, now

DEMO_LANDLORD = "demo-landlord"
DEMO_HOMES = [
    ("西湖区文三路 两室一厅 近地铁", "330106", "杭州市西湖区文三路100号", 2, 68, 350_000, 700_000),
    ("上城区湖滨 一室户 精装", "330102", "杭州市上城区东坡路20号", 1, 42, 420_000, 420_000),
    ("拱墅区运河边 三室两厅", "330105", "杭州市拱墅区小河路8号", 3, 110, 580_000, 1_160_000),
]


def demo_listing_id(title: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citybrain:rental:demo:{title}"))


async def seed(context: dict[str, Any]) -> None:
    async with atomic():
        for title, region, address, rooms, area, rent, deposit in DEMO_HOMES:
            await fetch(
                "INSERT INTO rental_listing (id, landlord_openid, landlord_id_hash, "
                "landlord_name_masked, title, region_code, address, rooms, area_m2, "
                "rent_amount, deposit_amount, description, status, created_at) VALUES "
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'listed', {}) "
                "ON CONFLICT (id) DO NOTHING",
                demo_listing_id(title),
                DEMO_LANDLORD,
                "demo",
                "王*",
                title,
                region,
                address,
                rooms,
                area,
                rent,
                deposit,
                "演示房源",
                now(),
            )

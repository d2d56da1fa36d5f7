"""Demo venues, gates and citizens for `make run` (idempotent: found by name, else created).

Gate secrets are only ever shown once, so the loader rotates a demo gate's secret at
every run and writes the current credentials to `var/demo-credentials.json`.
"""

from __future__ import annotations

import secrets
from typing import Any

from app.database import atomic, fetch, fetch_one
from app.security import hash_secret, new_id
from identity import service

DEMO_ACTOR = "demo-loader"
DEMO_VENUES = [
    ("西湖景区 Xihu Park", "park", "330106", "杭州市西湖区龙井路1号"),
    ("浙一医院 First Affiliated Hospital", "hospital", "330102", "杭州市上城区庆春路79号"),
    ("湖滨酒店 Lakeside Hotel", "hotel", "330102", "杭州市上城区湖滨路2号"),
    ("地铁1号线 龙翔桥站 Metro Longxiangqiao", "metro", "330102", "杭州市上城区延安路"),
    ("湖滨银泰 in77 Mall", "mall", "330102", "杭州市上城区东坡路7号"),
]
DEMO_CITIZENS = [
    ("13800000001", "张三", "330106199003071234"),
    ("13800000002", "李四", "330102198512120012"),
]


async def _venue_id(name: str, kind: str, region: str, address: str) -> str:
    row = await fetch_one("SELECT id FROM venue WHERE name = {}", name)
    if row is not None:
        return str(row["id"])
    venue = await service.create_venue(DEMO_ACTOR, name, kind, region, address, None)
    return str(venue["id"])


async def _gate(venue_id: str) -> tuple[str, str]:
    secret = "gs_" + secrets.token_urlsafe(32)
    async with atomic():
        row = await fetch_one(
            "SELECT id FROM gate WHERE venue = {} AND revoked_at IS NULL ORDER BY created_at",
            venue_id,
        )
        if row is None:
            gate_id = new_id()
            await fetch(
                "INSERT INTO gate (id, venue, name, secret_hash, created_at) "
                "VALUES ({}, {}, {}, {}, {})",
                gate_id,
                venue_id,
                "Demo gate 1",
                hash_secret(secret),
                service.now(),
            )
        else:
            gate_id = str(row["id"])
            await fetch(
                "UPDATE gate SET secret_hash = {} WHERE id = {}", hash_secret(secret), gate_id
            )
    return gate_id, secret


async def _citizen(phone: str, name: str, id_number: str) -> str:
    async with atomic():
        await fetch(
            "INSERT INTO citizen (id, phone, roles, real_name_verified, created_at) "
            "VALUES ({}, {}, 'citizen', {}, {}) ON CONFLICT (phone) DO NOTHING",
            new_id(),
            phone,
            False,
            service.now(),
        )
    row = await fetch_one("SELECT id, real_name_verified FROM citizen WHERE phone = {}", phone)
    assert row is not None
    if not row["real_name_verified"]:
        await service.bind_real_name(str(row["id"]), name, _with_check_digit(id_number))
    return str(row["id"])


def _with_check_digit(number: str) -> str:
    from identity.idcard import check_digit

    return number[:17] + check_digit(number[:17])


async def seed(context: dict[str, Any]) -> None:
    credentials: dict[str, Any] = context.setdefault("credentials", {})
    gates = credentials.setdefault("gates", [])
    venues: dict[str, str] = context.setdefault("venues", {})
    for name, kind, region, address in DEMO_VENUES:
        venue_id = await _venue_id(name, kind, region, address)
        venues[kind] = venue_id
        gate_id, secret = await _gate(venue_id)
        gates.append(
            {
                "venue": name,
                "kind": kind,
                "venue_id": venue_id,
                "gate_id": gate_id,
                "device_secret": secret,
            }
        )
    citizens = []
    for phone, name, id_number in DEMO_CITIZENS:
        citizens.append(await _citizen(phone, name, id_number))
    context["citizens"] = citizens
    credentials["citizens"] = [
        {"phone": phone, "login": "POST /api/v1/auth/otp, then the dev_code it returns"}
        for phone, _, _ in DEMO_CITIZENS
    ]

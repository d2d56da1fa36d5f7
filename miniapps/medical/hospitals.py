"""Hospitals and their departments: kept by each hospital's own devices, listed for all."""

from __future__ import annotations

from typing import Any

from miniapps.medical.common import hospital_of
from miniapps.medical.schemas import DepartmentOut, HospitalIn, HospitalOut
from miniapps.sdk import (
    Conflict,
    atomic,
    decode_cursor,
    encode_cursor,
    fetch,
    fetch_one,
    new_id,
    now,
)


async def save_hospital(venue_id: str, data: HospitalIn) -> HospitalOut:
    at = now()
    async with atomic():
        await fetch(
            "INSERT INTO medical_hospital (id, venue_id, name, registration_estimate, "
            "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (venue_id) DO UPDATE SET name = excluded.name, "
            "registration_estimate = excluded.registration_estimate, "
            "updated_at = excluded.updated_at",
            new_id(),
            venue_id,
            data.name,
            data.registration_estimate,
            at,
            at,
        )
        hospital = await hospital_of(venue_id)
    return (await hospitals_out([hospital]))[0]


async def hospital_profile(venue_id: str) -> HospitalOut:
    return (await hospitals_out([await hospital_of(venue_id)]))[0]


async def add_department(venue_id: str, name: str) -> DepartmentOut:
    async with atomic():
        hospital = await hospital_of(venue_id)
        department_id = new_id()
        row = await fetch_one(
            "INSERT INTO medical_department (id, hospital, name, name_key, created_at) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (name_key) DO NOTHING RETURNING id",
            department_id,
            hospital["id"],
            name,
            f"{hospital['id']}:{name}",
            now(),
        )
    if row is None:
        raise Conflict(f"This hospital already has a department named {name}.")
    return DepartmentOut(department_id, name)


async def hospitals_out(rows: list[dict[str, Any]]) -> list[HospitalOut]:
    if not rows:
        return []
    marks = ", ".join("{}" for _ in rows)
    departments = await fetch(
        f"SELECT id, hospital, name FROM medical_department WHERE hospital IN ({marks}) "
        "ORDER BY name",
        *[r["id"] for r in rows],
    )
    return [
        HospitalOut(
            id=r["id"],
            name=r["name"],
            registration_estimate=int(r["registration_estimate"]),
            departments=[
                DepartmentOut(d["id"], d["name"]) for d in departments if d["hospital"] == r["id"]
            ],
        )
        for r in rows
    ]


async def list_hospitals(limit: int, cursor: str | None) -> tuple[list[HospitalOut], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT id, name, registration_estimate FROM medical_hospital WHERE id > {} "
        f"ORDER BY id LIMIT {limit + 1}",
        str(after[0]) if after else "",
    )
    items = await hospitals_out(rows[:limit])
    return items, (encode_cursor(items[-1].id) if len(rows) > limit else None)

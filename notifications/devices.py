"""Push device tokens the citizen's app registers and removes.

A token is stored sealed (AES-GCM) and found by a keyed hash; one token belongs to one
citizen at a time, so a phone that changes hands stops receiving the old owner's pushes.
"""

from __future__ import annotations

from app.database import atomic, fetch, fetch_one
from app.errors import NotFound
from app.pagination import decode_cursor, encode_cursor
from app.security import get_keyring, new_id
from notifications._util import now, utc
from notifications.schemas import PushDeviceView

_PURPOSE = "push-token"


async def register(citizen_id: str, token: str, platform: str) -> PushDeviceView:
    keyring = get_keyring()
    token_hash = keyring.lookup_hash(token, _PURPOSE)
    async with atomic():
        row = await fetch_one(
            "INSERT INTO push_device (id, citizen_id, platform, token_hash, token_sealed, "
            "created_at) VALUES ({}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (token_hash) DO UPDATE SET citizen_id = EXCLUDED.citizen_id, "
            "platform = EXCLUDED.platform, created_at = EXCLUDED.created_at "
            "RETURNING id, platform, created_at",
            new_id(),
            citizen_id,
            platform,
            token_hash,
            keyring.seal_text(token, _PURPOSE),
            now(),
        )
    assert row is not None
    return PushDeviceView(id=row["id"], platform=row["platform"], created_at=utc(row["created_at"]))


async def list_devices(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[PushDeviceView], str | None]:
    after = decode_cursor(cursor)
    rows = await fetch(
        "SELECT id, platform, created_at FROM push_device WHERE citizen_id = {} AND id > {} "
        "ORDER BY id LIMIT {}",
        citizen_id,
        str(after[0]) if after else "",
        limit + 1,
    )
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    items = [
        PushDeviceView(id=row["id"], platform=row["platform"], created_at=utc(row["created_at"]))
        for row in rows[:limit]
    ]
    return items, next_cursor


async def remove(citizen_id: str, device_id: str) -> None:
    async with atomic():
        rows = await fetch(
            "DELETE FROM push_device WHERE id = {} AND citizen_id = {} RETURNING id",
            device_id,
            citizen_id,
        )
    if not rows:
        raise NotFound("No such device.")

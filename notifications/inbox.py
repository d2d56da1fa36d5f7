"""The in-app inbox: what a citizen was told, newest first, and what they have read."""

from __future__ import annotations

from typing import Any

from app.database import atomic, fetch, fetch_one
from app.errors import NotFound
from app.pagination import decode_cursor, encode_cursor
from notifications._util import now, utc
from notifications.schemas import Notification

_COLUMNS = "seq, id, kind, title, body, miniapp, created_at, read_at"


def _view(row: dict[str, Any]) -> Notification:
    return Notification(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        miniapp=row["miniapp"],
        created_at=utc(row["created_at"]),
        read_at=utc(row["read_at"]) if row["read_at"] is not None else None,
    )


async def list_inbox(
    citizen_id: str, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    after = decode_cursor(cursor)
    if after:
        rows = await fetch(
            f"SELECT {_COLUMNS} FROM inbox_notification WHERE citizen_id = {{}} AND seq < {{}} "
            "ORDER BY seq DESC LIMIT {}",
            citizen_id,
            _int(after[0]),
            limit + 1,
        )
    else:
        rows = await fetch(
            f"SELECT {_COLUMNS} FROM inbox_notification WHERE citizen_id = {{}} "
            "ORDER BY seq DESC LIMIT {}",
            citizen_id,
            limit + 1,
        )
    next_cursor = encode_cursor(rows[limit - 1]["seq"]) if len(rows) > limit else None
    return [_view(row) for row in rows[:limit]], next_cursor


def _int(value: object) -> int:
    from app.errors import FieldError, ValidationFailed

    if not isinstance(value, int):
        raise ValidationFailed(
            errors=[FieldError(field="cursor", message="not a cursor this API returned")]
        )
    return value


async def mark_read(citizen_id: str, notification_id: str) -> None:
    """Mark one notification read; reading it again keeps the first time."""
    async with atomic():
        row = await fetch_one(
            "SELECT read_at FROM inbox_notification WHERE id = {} AND citizen_id = {}",
            notification_id,
            citizen_id,
        )
        if row is None:
            raise NotFound("No such notification.")
        if row["read_at"] is None:
            await fetch(
                "UPDATE inbox_notification SET read_at = {} WHERE id = {} AND read_at IS NULL",
                now(),
                notification_id,
            )


async def resume_point(citizen_id: str, last_event_id: str | None) -> int:
    """The position a stream starts after: the given notification, else the newest one."""
    if last_event_id:
        row = await fetch_one(
            "SELECT seq FROM inbox_notification WHERE id = {} AND citizen_id = {}",
            last_event_id,
            citizen_id,
        )
        if row is not None:
            return int(row["seq"])
    row = await fetch_one(
        "SELECT MAX(seq) AS seq FROM inbox_notification WHERE citizen_id = {}", citizen_id
    )
    return int(row["seq"]) if row and row["seq"] is not None else 0


async def after(citizen_id: str, seq: int, limit: int = 100) -> list[tuple[Notification, int]]:
    """Notifications added after position `seq`, oldest first, with their positions."""
    rows = await fetch(
        f"SELECT {_COLUMNS} FROM inbox_notification WHERE citizen_id = {{}} AND seq > {{}} "
        "ORDER BY seq LIMIT {}",
        citizen_id,
        seq,
        limit,
    )
    return [(_view(row), int(row["seq"])) for row in rows]

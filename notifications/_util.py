"""Small conversions shared by the notification modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec


def utc(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def load_data(raw: Any) -> dict[str, Any]:
    data = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return data if isinstance(data, dict) else {}


def short_error(exc: BaseException | str) -> str:
    """An error for the attempt log: the exception type and message, never a traceback."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return text[:300]

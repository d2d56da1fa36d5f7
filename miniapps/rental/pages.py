"""Keyset cursors: the sort key of the last row, checked on the way back in."""

from __future__ import annotations

from datetime import datetime

from miniapps.sdk import FieldError, ValidationFailed, as_utc, decode_cursor


def cursor_key(cursor: str | None, *types: type) -> list[object] | None:
    """The decoded key, or 422 when it is not one this API returned (shape and types)."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != len(types) or not all(
        isinstance(part, kind) and not isinstance(part, bool)
        for part, kind in zip(key, types, strict=True)
    ):
        raise ValidationFailed(errors=[FieldError("cursor", "not a cursor this API returned")])
    return key


def cursor_time(value: object) -> datetime:
    """A timestamp part of a cursor, or 422."""
    try:
        return as_utc(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            errors=[FieldError("cursor", "not a cursor this API returned")]
        ) from None

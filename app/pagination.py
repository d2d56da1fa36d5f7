"""The one list shape of the contract: `?limit=&cursor=` → `{items, next_cursor}`.

Cursors are opaque base64url of the last row's sort key, so that a page never skips or
repeats a row when rows are added meanwhile.
"""

from __future__ import annotations

import json
from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

from app.errors import FieldError, ValidationFailed
from app.security import b64url, b64url_decode

T = TypeVar("T")

LimitParam = Annotated[int, QueryParameter(name="limit", ge=1, le=200)]
CursorParam = Annotated[str | None, QueryParameter(name="cursor", max_length=500)]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: object) -> str:
    return b64url(json.dumps(list(key), default=str).encode())


def decode_cursor(cursor: str | None) -> list[object] | None:
    if not cursor:
        return None
    try:
        value = json.loads(b64url_decode(cursor))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            errors=[FieldError(field="cursor", message="not a cursor this API returned")]
        ) from None
    if not isinstance(value, list):
        raise ValidationFailed(
            errors=[FieldError(field="cursor", message="not a cursor this API returned")]
        )
    return value

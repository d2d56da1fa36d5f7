"""Materials (a birth certificate, a lease): small files checked and kept behind a store.

`MaterialStore` is the interface: `put(key, data)`, `get(key)`. The default keeps each file
sealed in the app's own table (`services_blob`), so it works on SQLite and PostgreSQL alike
with nothing to set up; an object store would implement the same two calls. A file is at
most 512 KiB, and its first bytes must be those of the type it claims (PDF, PNG, JPEG).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Protocol

from miniapps.sdk import FieldError, MiniAppContext, fetch, fetch_one, new_id, now
from miniapps.services.errors import MaterialRejected

MAX_BYTES = 512 * 1024
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


class MaterialStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes | None: ...


class SealedTableStore:
    """Files sealed under the app's key in `services_blob` (the purpose names the key)."""

    def __init__(self, ctx: MiniAppContext) -> None:
        self._ctx = ctx

    async def put(self, key: str, data: bytes) -> None:
        sealed = self._ctx.seal(base64.b64encode(data).decode(), f"blob:{key}")
        await fetch(
            "INSERT INTO services_blob (key, sealed, created_at) VALUES ({}, {}, {})",
            key,
            sealed,
            now(),
        )

    async def get(self, key: str) -> bytes | None:
        row = await fetch_one("SELECT sealed FROM services_blob WHERE key = {}", key)
        if row is None:
            return None
        return base64.b64decode(self._ctx.unseal(row["sealed"], f"blob:{key}"))


def store_for(ctx: MiniAppContext) -> MaterialStore:
    return SealedTableStore(ctx)


def decode(content_base64: str, content_type: str) -> bytes:
    """The file's bytes, or 422 `material_rejected` saying what is wrong with it."""
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise MaterialRejected(errors=[FieldError("content_base64", "not base64")]) from None
    if not data:
        raise MaterialRejected(errors=[FieldError("content_base64", "the file is empty")])
    if len(data) > MAX_BYTES:
        raise MaterialRejected(errors=[FieldError("content_base64", f"at most {MAX_BYTES} bytes")])
    if not data.startswith(MAGIC[content_type]):
        raise MaterialRejected(
            errors=[FieldError("content_type", "the file's content is not of this type")]
        )
    return data


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_key() -> str:
    return f"material-{new_id()}"

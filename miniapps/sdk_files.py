"""Files a mini-app keeps (a report's photos, an application's materials), behind one interface.

`FileStore` is the interface; `LocalFileStore` (the default: files under `CITYBRAIN_FILE_DIR`,
else `<CITYBRAIN_DATA_DIR>/files`) is the real one for one host, and `S3FileStore` the adapter
point for production (`CITYBRAIN_FILE_STORE=s3`: any S3-compatible bucket through boto3,
an optional dependency: `pip install boto3`). A mini-app reaches it as `ctx.files`, which puts
every key under the app's own slug, so that one app never reads another's files. The store
keeps bytes and a content type: what may be stored (size, type, metadata) is the app's to check
before, and who may read a file is the app's to decide before it serves one.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
from pathlib import Path
from typing import Any, Protocol

from app.settings import Settings, SettingsError, get_settings

_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}(/[a-zA-Z0-9][a-zA-Z0-9_.-]{0,120}){1,4}$")


class StoredFileMissing(LookupError):
    """The key names no stored file."""


class FileStore(Protocol):
    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> tuple[bytes, str]:
        """The bytes and content type; `StoredFileMissing` for an unknown key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the file; an unknown key is no error (deletes are retried)."""
        ...


def _checked(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storable file key: {key!r}")
    return key


class LocalFileStore:
    """Files on this host's disk: `<root>/<key>` and its content type beside it."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data, content_type)

    @staticmethod
    def _write(path: Path, data: bytes, content_type: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a file
        path.with_name(path.name + ".type").write_text(content_type)

    async def get(self, key: str) -> tuple[bytes, str]:
        path = self._path(key)
        try:
            data = await asyncio.to_thread(path.read_bytes)
            kind = await asyncio.to_thread(path.with_name(path.name + ".type").read_text)
        except FileNotFoundError:
            raise StoredFileMissing(key) from None
        return data, kind

    async def delete(self, key: str) -> None:
        path = self._path(key)
        for each in (path, path.with_name(path.name + ".type")):
            each.unlink(missing_ok=True)


class S3FileStore:
    """An S3-compatible bucket (AWS S3, MinIO, OSS/COS S3 endpoints) through boto3.

    The adapter point for production: settings are validated at start-up
    (`app.settings`), boto3 is imported only here. The suite does not run it against a bucket.
    """

    name = "s3"

    def __init__(self, settings: Settings) -> None:
        try:
            boto3: Any = importlib.import_module("boto3")
        except ImportError:
            raise SettingsError("CITYBRAIN_FILE_STORE=s3 needs boto3: pip install boto3") from None
        self.bucket = settings.s3_bucket
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=_checked(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> tuple[bytes, str]:
        def read() -> tuple[bytes, str]:
            try:
                found = self._client.get_object(Bucket=self.bucket, Key=_checked(key))
            except self._client.exceptions.NoSuchKey:
                raise StoredFileMissing(key) from None
            return found["Body"].read(), str(found.get("ContentType", "application/octet-stream"))

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=_checked(key))


_store: FileStore | None = None


def get_file_store() -> FileStore:
    """The store the settings choose (built once per process)."""
    global _store
    if _store is None:
        settings = get_settings()
        if settings.file_store == "s3":
            _store = S3FileStore(settings)
        else:
            root = Path(settings.file_dir or Path(settings.data_dir) / "files")
            _store = LocalFileStore(root)
    return _store


def set_file_store(store: FileStore | None) -> None:
    """Install another store (None: the one the settings choose, on next use)."""
    global _store
    _store = store


class AppFiles:
    """`ctx.files`: the file store with every key under this app's slug."""

    def __init__(self, slug: str) -> None:
        self._prefix = slug

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}"

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await get_file_store().put(self._key(key), data, content_type)

    async def get(self, key: str) -> tuple[bytes, str]:
        return await get_file_store().get(self._key(key))

    async def delete(self, key: str) -> None:
        await get_file_store().delete(self._key(key))

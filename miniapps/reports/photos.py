"""A report's photos: checked by content, stripped of metadata, kept in the platform's store.

A photo is accepted only if Pillow reads it as JPEG, PNG or WebP (the bytes decide, not a
name or a declared type), it is at most `MAX_BYTES` and `MAX_SIDE` pixels a side. It is then
re-encoded from its pixels alone: EXIF (and with it the GPS position, the camera, the time),
XMP and comments are not carried over, only the orientation is applied first. The reporter's
location is the one they chose to report, never the one their camera recorded.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from miniapps.reports.errors import InvalidPhoto
from miniapps.sdk import FieldError, MiniAppContext, StoredFileMissing

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 8000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _refuse(index: int, message: str) -> InvalidPhoto:
    return InvalidPhoto(
        f"Photo {index + 1}: {message}", errors=[FieldError(f"photos[{index}]", message)]
    )


def clean(index: int, encoded: str) -> CleanPhoto:
    """The photo, checked and re-encoded without metadata; `InvalidPhoto` (422) otherwise."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(index, "not base64") from None
    if len(raw) > MAX_BYTES:
        raise _refuse(index, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            kind = image.format or ""
            if kind not in FORMATS:
                raise _refuse(index, "not a JPEG, PNG or WebP image")
            if max(image.size) > MAX_SIDE:
                raise _refuse(index, f"more than {MAX_SIDE} pixels a side")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _refuse(index, "not a readable JPEG, PNG or WebP image") from None
    pixels = Image.new(upright.mode, upright.size)
    pixels.paste(upright)  # the pixels alone: no info, no EXIF, no XMP
    if kind == "JPEG" and pixels.mode not in ("RGB", "L"):
        pixels = pixels.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 88} if kind in ("JPEG", "WEBP") else {}
    pixels.save(out, format=kind, **options)
    return CleanPhoto(out.getvalue(), FORMATS[kind], EXTENSIONS[kind], *pixels.size)


def file_key(event_id: str, photo_id: str, extension: str) -> str:
    return f"photos/{event_id}/{photo_id}.{extension}"


async def store(ctx: MiniAppContext, key: str, photo: CleanPhoto) -> None:
    await ctx.files.put(key, photo.data, photo.content_type)


async def forget(ctx: MiniAppContext, keys: list[str]) -> None:
    """Remove stored files whose event was not written after all."""
    for key in keys:
        await ctx.files.delete(key)


async def read(ctx: MiniAppContext, key: str) -> tuple[bytes, str]:
    try:
        return await ctx.files.get(key)
    except StoredFileMissing:
        from miniapps.sdk import NotFound

        raise NotFound("This photo is no longer kept.") from None

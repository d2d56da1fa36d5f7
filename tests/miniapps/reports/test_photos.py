"""Photo checks by content, without HTTP: type, size, pixels, metadata."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from miniapps.reports.errors import InvalidPhoto
from miniapps.reports.photos import MAX_SIDE, clean
from tests.miniapps.reports.conftest import GPS_IFD, b64, jpeg, png


class TestCleanPhoto:
    def test_gps_and_camera_metadata_are_dropped(self) -> None:
        photo = clean(0, b64(jpeg(with_gps=True)))
        image = Image.open(io.BytesIO(photo.data))
        assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (64, 48)
        assert not image.getexif().get_ifd(GPS_IFD) and len(image.getexif()) == 0

    def test_the_orientation_is_applied_before_it_is_dropped(self) -> None:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotated 90°: shown 48 × 64
        out = io.BytesIO()
        Image.new("RGB", (64, 48)).save(out, format="JPEG", exif=exif)
        photo = clean(0, b64(out.getvalue()))
        assert (photo.width, photo.height) == (48, 64)

    def test_png_and_webp_keep_their_type(self) -> None:
        assert clean(0, b64(png())).content_type == "image/png"
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="WEBP")
        assert clean(1, b64(out.getvalue())).content_type == "image/webp"

    def test_a_declared_jpeg_that_is_a_bmp_is_refused(self) -> None:
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="BMP")
        with pytest.raises(InvalidPhoto) as refused:
            clean(2, base64.b64encode(out.getvalue()).decode())
        assert refused.value.errors is not None
        assert refused.value.errors[0].field == "photos[2]"

    def test_too_many_pixels_are_refused(self) -> None:
        out = io.BytesIO()
        Image.new("1", (MAX_SIDE + 1, 1)).save(out, format="PNG")
        with pytest.raises(InvalidPhoto, match="pixels"):
            clean(0, b64(out.getvalue()))

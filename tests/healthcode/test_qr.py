"""QR images: GET /api/v1/healthcode/qr.png and qr.svg, and the fast encoder behind them."""

from __future__ import annotations

import io
import re

import pytest
import qrcode
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from healthcode import qr
from tests.healthcode.conftest import declared, scan
from tests.helpers import Api, problem

SAMPLE = "CB1:" + "eyJhbGciOiJFUzI1NiIsImtpZCI6Ik" * 11 + "x_-."


def decode(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    image.load()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    text: str = found[0].text
    return text


class TestEncoder:
    @pytest.mark.parametrize("text", [SAMPLE, SAMPLE[:200], "CB1:short", "x" * 400])
    def test_the_same_modules_as_the_qrcode_library(self, text: str) -> None:
        side, grid = qr.modules(text)
        reference = qrcode.QRCode(
            version=(side - 2 * qr.BORDER - 17) // 4,
            error_correction=ERROR_CORRECT_M,
            mask_pattern=qr.MASK,
            border=qr.BORDER,
        )
        reference.add_data(text, optimize=0)
        reference.make(fit=False)
        assert bytes(int(m) for row in reference.get_matrix() for m in row) == grid

    @pytest.mark.parametrize("colour", ["green", "yellow", "red"])
    def test_zxing_reads_every_colour(self, colour: str) -> None:
        assert decode(qr.png(SAMPLE, colour)) == SAMPLE

    def test_the_svg_draws_the_same_modules(self) -> None:
        side, grid = qr.modules(SAMPLE)
        drawn = bytearray(side * side)
        svg = qr.svg(SAMPLE, "red")
        assert 'fill="#d0101e"' in svg
        for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1", svg):
            start = int(y) * side + int(x)
            drawn[start : start + int(width)] = b"\x01" * int(width)
        assert bytes(drawn) == grid


class TestImages:
    async def test_the_png_decodes_to_a_code_a_gate_accepts(self, api: Api) -> None:
        citizen, _ = await declared(api, symptoms=["cough"])
        response = await api.client.get("/api/v1/healthcode/qr.png", headers=citizen.headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        image = Image.open(io.BytesIO(response.content)).convert("RGB")
        assert qr.COLOURS["yellow"] in {colour for _, colour in image.getcolors() or []}
        code = decode(response.content)
        gate = await api.gate("hospital")
        body = await scan(api, gate, code)
        assert (body["result"], body["colour"]) == ("pass", "yellow")

    async def test_the_svg(self, api: Api) -> None:
        citizen, _ = await declared(api)
        response = await api.client.get("/api/v1/healthcode/qr.svg", headers=citizen.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.text.startswith("<svg")

    @pytest.mark.parametrize("path", ["/api/v1/healthcode/qr.png", "/api/v1/healthcode/qr.svg"])
    async def test_refusals(self, api: Api, path: str) -> None:
        problem(await api.client.get(path), 401, "unauthorized")
        never = await api.citizen()
        problem(await api.client.get(path, headers=never.headers), 409, "declaration_required")
        unverified = await api.citizen(verified=False)
        problem(await api.client.get(path, headers=unverified.headers), 403, "real_name_required")
        gate = await api.gate()
        problem(await api.client.get(path, headers=gate.headers), 401, "unauthorized")

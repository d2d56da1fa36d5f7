"""Fast QR images of a code: fixed version and mask, precomputed layout, direct PNG.

Plain `qrcode.make()` spends most of its 35–60 ms choosing a mask (eight full layouts, each
scored). A code here always has the same length, so the version (14, ECC level M: 362 bytes)
and the mask are fixed, and everything that does not depend on the data is computed once per
(version, mask): the function patterns (drawn by the qrcode library itself) and the order in
which data bits fill the remaining modules. Per image there is then one Reed–Solomon pass
(big-integer shift registers), one C-level permutation of the bits into the grid, and a PNG of
8-pixel modules at one bit per pixel, where a module is exactly one byte of a scanline.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import qrcode
from qrcode import util
from qrcode.base import rs_blocks
from qrcode.constants import ERROR_CORRECT_M

VERSIONS = range(14, 41)  # 14 fits the code; larger ones only if a code ever grows
ECC = ERROR_CORRECT_M
MASK = 4
BORDER = 4  # quiet zone, in modules
BOX = 8  # pixels per module: one byte of a 1-bit scanline
COLOURS = {
    "green": (0x0B, 0x8A, 0x3E),
    "yellow": (0xC8, 0x8E, 0x00),  # dark enough for scanners' luminance thresholds
    "red": (0xD0, 0x10, 0x1E),
}

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@lru_cache(maxsize=16)
def _generator_table(degree: int) -> tuple[int, ...]:
    """For each factor f, the generator's coefficients times f packed as one integer."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coefficient in enumerate(poly):
            nxt[j] ^= coefficient
            nxt[j + 1] ^= _gf_mul(coefficient, _EXP[i])
        poly = nxt
    tail = poly[1:]
    return tuple(int.from_bytes(bytes(_gf_mul(f, g) for g in tail), "big") for f in range(256))


def _ecc(data: bytes, degree: int) -> bytes:
    table = _generator_table(degree)
    shift = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & mask) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(degree, "big")


@dataclass(frozen=True)
class _Layout:
    version: int
    size: int  # modules per side, quiet zone included
    capacity: int  # data codewords
    blocks: tuple[tuple[int, int], ...]  # (data codewords, ecc codewords) per block
    data_cells: int
    mask_bits: int  # the mask over the data cells, one byte (0 or 1) per cell, as an integer
    place: Callable[[bytes], tuple[int, ...]]  # each grid cell from the data bits + b"\0\1"


@lru_cache(maxsize=8)
def _layout(version: int, mask: int = MASK) -> _Layout:
    builder = qrcode.QRCode(version=version, error_correction=ECC, mask_pattern=mask, border=0)
    n = builder.modules_count = version * 4 + 17
    builder.modules = [[None] * n for _ in range(n)]
    builder.setup_position_probe_pattern(0, 0)
    builder.setup_position_probe_pattern(n - 7, 0)
    builder.setup_position_probe_pattern(0, n - 7)
    builder.setup_position_adjust_pattern()
    builder.setup_timing_pattern()
    builder.setup_type_info(False, mask)
    if version >= 7:
        builder.setup_type_number(False)
    modules = builder.modules
    masked = util.mask_func(mask)
    order: list[tuple[int, int]] = []
    row, step = n - 1, -1
    for col in range(n - 1, 0, -2):  # the standard two-column zigzag, skipping the timing column
        if col <= 6:
            col -= 1
        while 0 <= row < n:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    order.append((row, c))
            row += step
        row -= step
        step = -step
    cells = len(order)
    index = {cell: k for k, cell in enumerate(order)}
    size = n + 2 * BORDER
    picks = []
    for y in range(size):
        for x in range(size):
            r, c = y - BORDER, x - BORDER
            if 0 <= r < n and 0 <= c < n:
                k = index.get((r, c))
                picks.append(k if k is not None else cells + int(bool(modules[r][c])))
            else:
                picks.append(cells)
    mask_bits = int.from_bytes(bytes(int(bool(masked(r, c))) for r, c in order), "big")
    blocks = tuple((b.data_count, b.total_count - b.data_count) for b in rs_blocks(version, ECC))
    return _Layout(
        version, size, sum(d for d, _ in blocks), blocks, cells, mask_bits, itemgetter(*picks)
    )


def _codewords(payload: bytes, layout: _Layout) -> bytes:
    """Byte-mode segment, terminator and padding, split into blocks, ECC, interleaved."""
    count_bits = 8 if layout.version < 10 else 16
    capacity_bits = layout.capacity * 8
    bits = ((0b0100 << count_bits) | len(payload)) << (8 * len(payload)) | int.from_bytes(
        payload, "big"
    )
    used = 4 + count_bits + 8 * len(payload)
    pad = min(4, capacity_bits - used)
    bits <<= pad
    used += pad
    bits <<= -used % 8
    used += -used % 8
    stream = bits.to_bytes(used // 8, "big")
    stream += (b"\xec\x11" * layout.capacity)[: layout.capacity - len(stream)]
    data_blocks, ecc_blocks, offset = [], [], 0
    for data_count, ecc_count in layout.blocks:
        block = stream[offset : offset + data_count]
        offset += data_count
        data_blocks.append(block)
        ecc_blocks.append(_ecc(block, ecc_count))
    out = bytearray()
    for blocks in (data_blocks, ecc_blocks):
        for i in range(max(len(b) for b in blocks)):
            out.extend(b[i] for b in blocks if i < len(b))
    return bytes(out)


_BITS = [bytes((b >> (7 - i)) & 1 for i in range(8)) for b in range(256)]


def modules(text: str) -> tuple[int, bytes]:
    """(side, one byte 0/1 per module, quiet zone included) of the QR code for `text`."""
    payload = text.encode()
    layout = next((_layout(v) for v in VERSIONS if _layout_capacity(v) >= len(payload) + 3), None)
    if layout is None:
        raise ValueError("too long for a QR code")
    bits = b"".join(_BITS[c] for c in _codewords(payload, layout))
    bits += bytes(layout.data_cells - len(bits))
    masked = (int.from_bytes(bits, "big") ^ layout.mask_bits).to_bytes(layout.data_cells, "big")
    return layout.size, bytes(layout.place(masked + b"\x00\x01"))


@lru_cache(maxsize=64)
def _layout_capacity(version: int) -> int:
    return sum(b.data_count for b in rs_blocks(version, ECC))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


_TO_PIXELS = bytes([0x00, 0xFF]) + bytes(254)


def png(text: str, colour: str) -> bytes:
    """A PNG of the QR code, dark modules in `colour` on white, 8 pixels a module."""
    side, grid = modules(text)
    pixels = grid.translate(_TO_PIXELS)
    zeros = bytes(side)  # filter "Up" with zero deltas repeats the row above
    rows = []
    for r in range(side):
        line = pixels[r * side : (r + 1) * side]
        rows.append(b"\x00" + line + (b"\x02" + zeros) * (BOX - 1))
    width = side * BOX
    header = struct.pack(">IIBBBBB", width, width, 1, 3, 0, 0, 0)
    palette = bytes((0xFF, 0xFF, 0xFF, *COLOURS.get(colour, (0, 0, 0))))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", palette),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 2)),
            _chunk(b"IEND", b""),
        )
    )


def svg(text: str, colour: str) -> str:
    """An SVG of the QR code: one path of horizontal runs, in `colour` on white."""
    side, grid = modules(text)
    r, g, b = COLOURS.get(colour, (0, 0, 0))
    runs = []
    for y in range(side):
        row = grid[y * side : (y + 1) * side]
        x = row.find(1)
        while x != -1:
            end = row.find(0, x)
            end = side if end == -1 else end
            runs.append(f"M{x} {y}h{end - x}v1h-{end - x}z")
            x = row.find(1, end)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{side * BOX}" height="{side * BOX}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#{r:02x}{g:02x}{b:02x}" d="{"".join(runs)}"/></svg>'
    )

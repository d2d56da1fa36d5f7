"""QR image speed: healthcode.qr.png (fixed version and mask, direct PNG) against plain
`qrcode.make(code)` saved as PNG, on the same realistic codes, in the same run.

    .venv/bin/python bench/qr.py [--codes 200]

Prints the median and p95 per image for both and the speed-up at the median. A code is made
exactly as the service makes one (same header, claims and lengths) with a throw-away key, so
no database is needed.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jwt  # noqa: E402
import qrcode  # noqa: E402

from app.security import b64url, ec_thumbprint, generate_ec_key  # noqa: E402
from healthcode import qr  # noqa: E402


def realistic_codes(count: int) -> list[tuple[str, str]]:
    key = generate_ec_key()
    kid = ec_thumbprint(key.public_key())
    colours = ("green", "yellow", "red")
    out = []
    for i in range(count):
        iat = int(time.time())
        payload = {
            "sub": b64url(os.urandom(32)),  # AES-GCM of a 16-byte id: 32 bytes
            "colour": colours[i % 3],
            "iat": iat,
            "exp": iat + 90,
            "jti": b64url(os.urandom(12)),
        }
        token = jwt.encode(payload, key, algorithm="ES256", headers={"kid": kid, "typ": None})
        out.append(("CB1:" + token, colours[i % 3]))
    return out


def plain(code: str, _: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(code).save(buffer)
    return buffer.getvalue()


def timed(render: Callable[[str, str], bytes], codes: list[tuple[str, str]]) -> list[float]:
    times = []
    for code, colour in codes:
        start = time.perf_counter()
        render(code, colour)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{name:34} median {median:7.3f} ms   p95 {p95:7.3f} ms   ({len(times)} images)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=200)
    args = parser.parse_args()
    codes = realistic_codes(args.codes)
    print(
        f"code length {len(codes[0][0])} characters; QR version {qr.VERSIONS[0]}-M, mask {qr.MASK}"
    )
    qr.png(*codes[0])  # build the layout once, as the server does at its first image
    fast = summary("healthcode.qr.png", timed(qr.png, codes))
    slow = summary("qrcode.make(code) → PNG", timed(plain, codes[: max(20, args.codes // 4)]))
    print(f"speed-up at the median: {slow / fast:.1f}×")
    try:
        import zxingcpp
        from PIL import Image

        image = Image.open(io.BytesIO(qr.png(*codes[0])))
        image.load()
        decoded = zxingcpp.read_barcodes(image)
        print("zxing-cpp decodes it:", bool(decoded) and decoded[0].text == codes[0][0])
    except ImportError:
        print("zxing-cpp not installed: decode check skipped")


if __name__ == "__main__":
    main()

"""The ES256 checker process: `python -m healthcode.signature_worker`, started by the app.

It reads batches of (public key, signing input, r||s signature) on stdin and answers one
byte per item (1 valid, 0 not) on stdout, in order; it exits when stdin closes. It knows
nothing else: what a code means, and whether its key may sign, is decided by the app.

Frames (little-endian): request `count:u32 length:u32` then `length` bytes of items, each
`point_length:u8 point msg_length:u16 msg signature[64]`; answer `count:u32` then `count`
bytes.
"""

from __future__ import annotations

import signal
import struct
import sys
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

REQUEST = struct.Struct("<II")
ANSWER = struct.Struct("<I")
MESSAGE_LENGTH = struct.Struct("<H")
SIGNATURE_BYTES = 64
_ECDSA = ec.ECDSA(hashes.SHA256())


def encode(items: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """One request frame for (point, signing input, signature) items."""
    body = b"".join(
        bytes((len(point),)) + point + MESSAGE_LENGTH.pack(len(message)) + message + signature
        for point, message, signature in items
    )
    return REQUEST.pack(len(items), len(body)) + body


def verify(key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes) -> bool:
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), message, _ECDSA)
    except InvalidSignature:
        return False
    return True


def check_batch(body: bytes, count: int, keys: dict[bytes, ec.EllipticCurvePublicKey]) -> bytes:
    view, at, answers = memoryview(body), 0, bytearray()
    for _ in range(count):
        point_length = view[at]
        point = bytes(view[at + 1 : at + 1 + point_length])
        at += 1 + point_length
        (message_length,) = MESSAGE_LENGTH.unpack_from(view, at)
        message = bytes(view[at + 2 : at + 2 + message_length])
        at += 2 + message_length
        signature = bytes(view[at : at + SIGNATURE_BYTES])
        at += SIGNATURE_BYTES
        key = keys.get(point)
        if key is None:
            if len(keys) > 64:
                keys.clear()
            key = keys[point] = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        answers.append(1 if verify(key, message, signature) else 0)
    return ANSWER.pack(count) + bytes(answers)


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    keys: dict[bytes, ec.EllipticCurvePublicKey] = {}
    while True:
        head = requests.read(REQUEST.size)
        if len(head) < REQUEST.size:
            return  # the app closed the pipe: its shutdown, or its death
        count, length = REQUEST.unpack(head)
        answers.write(check_batch(requests.read(length), count, keys))
        answers.flush()


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the app shuts down and closes
    # the pipe, which is this process's cue to leave.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)

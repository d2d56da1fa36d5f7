"""GB 11643-1999 resident ID numbers: validation and masking, no I/O."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII digits only: `int()` reads full-width and Arabic-Indic digits too, so `\d` would let
# one number be bound twice, spelled two ways.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# Birth dates on the card are Chinese calendar days (UTC+8, no daylight saving since 1991).
_CITY = timezone(timedelta(hours=8), "Asia/Shanghai")
# Province-level codes of GB/T 2260 (the first two digits of every region code).
PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
    }
)


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize(id_number: str) -> str:
    return id_number.strip().upper()


def city_today(at: datetime | None = None) -> date:
    """Today's date in China, not the server's local date: a baby born this morning in
    Hangzhou has a valid number at 00:30 there, when a UTC server still says yesterday."""
    return (at or datetime.now(UTC)).astimezone(_CITY).date()


def is_valid(id_number: str, today: date | None = None) -> bool:
    """Shape, province code, a real birth date not in the future, MOD 11-2 check digit."""
    number = normalize(id_number)
    if not _SHAPE.fullmatch(number):
        return False
    if int(number[:2]) not in PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or city_today()):
        return False
    return number[17] == check_digit(number[:17])


def birth_date(id_number: str) -> date:
    number = normalize(id_number)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask(id_number: str) -> str:
    """`330106********123X`: region and last four only."""
    number = normalize(id_number)
    return number[:6] + "*" * 8 + number[14:]


def mask_name(name: str) -> str:
    """Keep the first character, mask each other one: 张三 → 张*, 欧阳娜娜 → 欧***."""
    return name[:1] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[7:]

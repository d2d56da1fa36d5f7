"""Resident ID numbers for tests: valid ones nobody else in the session uses, and broken ones."""

from __future__ import annotations

import random
from datetime import date, timedelta

from identity.idcard import check_digit

_used: set[str] = set()


def _birth() -> str:
    day = date(1950, 1, 1) + timedelta(days=random.randrange(20_000))
    return day.strftime("%Y%m%d")


def valid_id(region: str = "330106", *, ending_in_x: bool = False) -> str:
    """A valid, unused number (a random birth date keeps it apart from tests.helpers' ones)."""
    while True:
        first17 = f"{region}{_birth()}{random.randrange(1000):03d}"
        number = first17 + check_digit(first17)
        if number not in _used and (number.endswith("X") == ending_in_x):
            _used.add(number)
            return number


def with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


def wrong_check_digit(number: str) -> str:
    digits = "0123456789X"
    return number[:17] + digits[(digits.index(number[17]) + 1) % len(digits)]

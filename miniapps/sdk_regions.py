"""GB/T 2260 region codes for mini-apps: the six digits, and the levels they nest in.

`330106` is a district (西湖区) of the city `330100` (杭州市) of the province `330000`
(浙江省). The health code's risk regions use the same rule (`region_prefix`): a region covers
its sub-regions by code prefix.
"""

from __future__ import annotations

import re

from healthcode.service import region_prefix

REGION_PATTERN = r"^[1-9][0-9]{5}$(?!\n)"
_REGION = re.compile(REGION_PATTERN)


def is_region_code(code: str) -> bool:
    """Six digits, not starting with 0 (GB/T 2260 provinces run from 11 to 82)."""
    return bool(_REGION.match(code))


def district_of(code: str) -> str:
    """The county-level region (区/县) a code lies in: the code itself at that level."""
    return code[:6]


def city_of(code: str) -> str:
    """The prefecture-level city: `330106` → `330100`."""
    return code[:4] + "00"


def province_of(code: str) -> str:
    """`330106` → `330000`."""
    return code[:2] + "0000"


def region_covers(outer: str, inner: str) -> bool:
    """Whether `outer` is `inner` or contains it: `330100` covers `330106`."""
    return inner.startswith(region_prefix(outer))


__all__ = [
    "REGION_PATTERN",
    "city_of",
    "district_of",
    "is_region_code",
    "province_of",
    "region_covers",
    "region_prefix",
]

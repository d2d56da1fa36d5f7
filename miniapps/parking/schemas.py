"""Parking's request and response bodies (msgspec); money in integer fen (`*_amount`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

PlateText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=20,
        description="A mainland plate such as 浙A12345 (new-energy: 浙AD12345); spaces and "
        "'·' are ignored, letters are upper-cased.",
        examples=["浙A12345"],
    ),
]


class CarParkRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    free_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)]
    hourly_amount: Annotated[int, msgspec.Meta(ge=0, le=100_000, description="fen per hour")]
    daily_cap_amount: Annotated[
        int, msgspec.Meta(ge=0, le=10_000_000, description="fen, the most 24 hours cost")
    ]


class CarParkOut(msgspec.Struct):
    id: str
    name: str
    free_minutes: int
    hourly_amount: int
    daily_cap_amount: int
    updated_at: datetime


class PlateRequest(msgspec.Struct, forbid_unknown_fields=True):
    plate: PlateText


class PlateOut(msgspec.Struct):
    plate: str
    bound_at: datetime


class EntryRequest(msgspec.Struct, forbid_unknown_fields=True):
    plate: PlateText


class ExitRequest(msgspec.Struct, forbid_unknown_fields=True):
    plate: PlateText
    # `booth`: the driver paid the operator at the exit booth; nothing is charged to credit.
    settle: Literal["wallet", "booth"] = "wallet"


class StayOut(msgspec.Struct):
    id: str
    car_park_id: str
    plate: str
    status: Literal["parked", "exited"]
    entered_at: datetime
    exited_at: datetime | None
    minutes: int
    # Final once exited; while parked, what leaving now would cost.
    fee_amount: int
    settled_by: Literal["wallet", "booth"] | None
    charge_id: str | None

"""Park's request and response bodies (money in integer fen, times in UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

EntityId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ParkIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    ticket: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description="fen; 0 is free")]


class ParkOut(msgspec.Struct):
    id: str
    name: str
    ticket: int


class SlotIn(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: Annotated[datetime, msgspec.Meta(tz=True)]
    ends_at: Annotated[datetime, msgspec.Meta(tz=True)]
    capacity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class SlotOut(msgspec.Struct):
    id: str
    park_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    reserved: int
    remaining: int


class ReserveIn(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: EntityId


class ReservationOut(msgspec.Struct):
    id: str
    park_id: str
    park_name: str
    slot: SlotOut
    status: Literal["reserved", "entered", "cancelled"]
    walk_in: bool
    created_at: datetime
    closed_at: datetime | None


class EntryIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class EntryOut(msgspec.Struct):
    """What the turnstile shows: admitted with this colour, in this slot, for this ticket."""

    id: str
    park_id: str
    slot: SlotOut
    reservation_id: str
    colour: str
    walk_in: bool
    amount: int
    charge_id: str | None
    entered_at: datetime

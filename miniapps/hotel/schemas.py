"""Hotel's request and response bodies (money in integer fen, times in UTC)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Amount = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="fen")]
EntityId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Nights = Annotated[int, msgspec.Meta(ge=1, le=30)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class HotelIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    incidentals: Annotated[int, msgspec.Meta(ge=0, le=10_000_000, description="fen")]


class RoomTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    rate: Amount


class RoomIn(msgspec.Struct, forbid_unknown_fields=True):
    room_type_id: EntityId
    number: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z-]{1,10}$(?!\n)")]


class RoomTypeOut(msgspec.Struct):
    id: str
    name: str
    rate: int
    rooms: int
    free: int


class HotelOut(msgspec.Struct):
    id: str
    name: str
    incidentals: int
    room_types: list[RoomTypeOut]


class RoomOut(msgspec.Struct):
    id: str
    number: str
    room_type_id: str
    stay_id: str | None


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    """The guest's code; a walk-in also names the room type and the nights."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    room_type_id: EntityId | None = None
    nights: Nights | None = None


class ExtraIn(msgspec.Struct, forbid_unknown_fields=True):
    item: Name
    amount: Amount


class ExtraOut(msgspec.Struct):
    id: str
    item: str
    amount: int
    created_at: datetime


class StayOut(msgspec.Struct):
    id: str
    hotel_id: str
    hotel_name: str
    room_number: str
    room_type_id: str
    reservation_id: str | None
    nights: int
    rate: int
    incidentals: int
    hold_id: str
    hold_amount: int
    extras: list[ExtraOut]
    status: Literal["in_house", "checked_out"]
    captured: int
    released: int
    checked_in_at: datetime
    checked_out_at: datetime | None


class GuestRecordOut(msgspec.Struct):
    """A line of the guest register: who stayed in which room, when."""

    stay_id: str
    room_number: str
    real_name: str
    id_hash: str
    checked_in_at: datetime
    checked_out_at: datetime | None


class ReservationIn(msgspec.Struct, forbid_unknown_fields=True):
    hotel_id: EntityId
    room_type_id: EntityId
    arrival: date
    nights: Nights


class ReservationOut(msgspec.Struct):
    id: str
    hotel_id: str
    hotel_name: str
    room_type_id: str
    room_type_name: str
    arrival: date
    nights: int
    amount: int
    hold_id: str
    status: Literal["reserved", "checked_in", "cancelled", "no_show", "expired"]
    created_at: datetime
    closed_at: datetime | None

"""Rental's request and response bodies (msgspec); money in integer fen (`*_amount`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

RegionCode = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9]{6}$(?!\n)", description="GB/T 2260 code of the district")
]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

MAX_LEASE_MONTHS = 12
MAX_START_DAYS = 14  # a lease starts within two weeks of the offer


class ListingRequest(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    region_code: RegionCode
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    rooms: Annotated[int, msgspec.Meta(ge=1, le=10)]
    rent_amount: Annotated[int, msgspec.Meta(ge=100, le=10_000_000, description="fen a month")]
    deposit_amount: Annotated[
        int, msgspec.Meta(ge=0, le=100_000_000, description="fen, held on credit, not paid")
    ]
    area_m2: Annotated[int, msgspec.Meta(ge=5, le=2000)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ListingOut(msgspec.Struct):
    id: str
    title: str
    region_code: str
    address: str
    rooms: int
    area_m2: int | None
    rent_amount: int
    deposit_amount: int
    description: str
    landlord_name_masked: str
    status: Literal["listed", "leased"]
    created_at: datetime


class ViewingRequest(msgspec.Struct, forbid_unknown_fields=True):
    at: Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with a zone")]


class ViewingOut(msgspec.Struct):
    id: str
    listing_id: str
    at: datetime
    status: Literal["booked", "cancelled"]
    visitor_name_masked: str | None
    created_at: datetime


class LeaseOffer(msgspec.Struct, forbid_unknown_fields=True):
    viewing_id: Id
    start_date: date
    months: Annotated[int, msgspec.Meta(ge=1, le=MAX_LEASE_MONTHS)]


class RentChargeOut(msgspec.Struct):
    month: int  # 1 is the first month of the lease
    due_on: date
    amount: int
    charge_id: str
    charged_at: datetime


class LeaseOut(msgspec.Struct):
    id: str
    listing_id: str
    status: Literal["offered", "active", "ended"]
    start_date: date
    end_date: date
    months: int
    rent_amount: int
    deposit_amount: int
    deposit_hold_id: str | None
    deposit_expires_at: datetime | None
    next_rent_due_on: date | None
    last_rent_failure: str | None
    rent_charges: list[RentChargeOut]
    created_at: datetime
    signed_at: datetime | None
    ended_at: datetime | None


class RegisterEntry(msgspec.Struct):
    """A line of the tenant register the law requires a landlord to keep."""

    lease_id: str
    listing_id: str
    address: str
    tenant_real_name: str
    tenant_id_hash: str
    start_date: date
    end_date: date
    signed_at: datetime
    ended_at: datetime | None

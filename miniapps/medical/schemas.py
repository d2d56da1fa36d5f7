"""Medical's request and response bodies (money in integer fen, times in UTC)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Amount = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="fen")]
EntityId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
VisitStatus = Literal["registered", "settled", "cancelled", "expired"]


class HospitalIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    registration_estimate: Amount


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class DepartmentOut(msgspec.Struct):
    id: str
    name: str


class HospitalOut(msgspec.Struct):
    id: str
    name: str
    registration_estimate: int
    departments: list[DepartmentOut]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    hospital_id: EntityId
    department_id: EntityId


class ChargeIn(msgspec.Struct, forbid_unknown_fields=True):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    amount: Amount


class ChargeOut(msgspec.Struct):
    id: str
    item: str
    amount: int
    created_at: datetime


class VisitOut(msgspec.Struct):
    id: str
    hospital_id: str
    hospital_name: str
    department_id: str
    department_name: str
    visit_day: date
    status: VisitStatus
    hold_id: str
    estimate: int
    total: int
    captured: int
    released: int
    created_at: datetime
    closed_at: datetime | None
    charges: list[ChargeOut]


class BillOut(msgspec.Struct):
    """A settled visit: what was captured, itemised; it falls due under the wallet's rules."""

    visit_id: str
    hospital_name: str
    department_name: str
    visit_day: date
    amount: int
    items: list[ChargeOut]
    settled_at: datetime


class ScanIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CardScanOut(msgspec.Struct):
    """The health code as the medical card: the colour now and today's visit, if any."""

    colour: str | None
    visit: VisitOut | None

"""Reports' request and response bodies (times in UTC, coordinates in WGS-84 degrees)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from miniapps.sdk import REGION_PATTERN

RegionCode = Annotated[
    str, msgspec.Meta(pattern=REGION_PATTERN, description="GB/T 2260 code, 6 digits: 330106")
]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Category = Literal["road", "lighting", "sanitation", "drainage", "noise", "safety", "other"]
Status = Literal["open", "taken", "resolved", "merged"]
Level = Literal["grid", "district"]
PhotoData = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=3_000_000,
        description="the image (JPEG, PNG or WebP, at most 2 MB) in base64",
    ),
]


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    category: Category
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    region_code: RegionCode
    latitude: Annotated[float, msgspec.Meta(ge=3.0, le=54.0, description="WGS-84, China")]
    longitude: Annotated[float, msgspec.Meta(ge=73.0, le=136.0)]
    photos: Annotated[list[PhotoData], msgspec.Meta(max_length=3)] = []


class PhotoOut(msgspec.Struct):
    id: str
    content_type: str
    size: int
    width: int
    height: int
    url: str


class StepOut(msgspec.Struct):
    kind: str
    actor: str
    note: str | None
    region_code: str | None
    at: datetime


class EventOut(msgspec.Struct):
    id: str
    category: str
    text: str
    region_code: str
    latitude: float
    longitude: float
    status: Status
    level: Level
    merged_into: str | None
    deadline_at: datetime
    overdue: bool
    created_at: datetime
    taken_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    rating: int | None
    duplicates: int
    photos: list[PhotoOut]
    steps: list[StepOut]
    mine: bool  # the caller reported it


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    region_code: RegionCode
    note: Note


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CategoryOut(msgspec.Struct):
    code: str
    name: str
    deadline_hours: int


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    region_code: RegionCode
    level: Level = "grid"


class WorkerIn(msgspec.Struct, forbid_unknown_fields=True):
    regions: Annotated[list[AssignmentIn], msgspec.Meta(max_length=50)]


class AssignmentOut(msgspec.Struct):
    region_code: str
    level: str


class WorkerOut(msgspec.Struct):
    openid: str
    regions: list[AssignmentOut]


class RegionReport(msgspec.Struct):
    region_code: str
    reported: int  # events, duplicates not counted
    closed: int
    closure_rate: float  # closed / reported, 0–1 (1.0 with nothing reported)
    median_minutes_to_close: float | None
    open_overdue: int
    escalated: int
    merged: int  # duplicate reports merged into these events


class ReportOut(msgspec.Struct):
    total: RegionReport
    districts: list[RegionReport]

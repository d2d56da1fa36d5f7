"""Request and response shapes of the health-code endpoints (API.md "Health code")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

Colour = Literal["green", "yellow", "red"]
Symptom = Literal[
    "fever",
    "cough",
    "sore_throat",
    "fatigue",
    "shortness_of_breath",
    "loss_of_taste_or_smell",
    "diarrhea",
]
RegionCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[1-9][0-9]{5}$(?!\n)",
        description="6-digit GB/T 2260 administrative division code",
        examples=["330106"],
    ),
]
Temperature = Annotated[float, msgspec.Meta(ge=34.0, le=43.0, description="°C, 34.0–43.0")]
RiskLevel = Literal["high", "medium"]
ScanReason = Literal[
    "colour_red",
    "colour_yellow",
    "code_expired",
    "code_invalid",
    "code_replayed",
    "unknown_person",
    "foreign_code_refused",  # the venue admits no other issuer's codes
]


class DeclarationIn(msgspec.Struct, forbid_unknown_fields=True):
    temperature_c: Temperature
    symptoms: Annotated[list[Symptom], msgspec.Meta(max_length=7)] = []
    visited_regions: Annotated[list[RegionCode], msgspec.Meta(max_length=50)] = []
    close_contact: bool = False


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    temperature_c: Temperature
    symptoms: Annotated[list[Symptom], msgspec.Meta(max_length=7)] = []


class Status(msgspec.Struct):
    colour: Colour
    reason: str
    rule_id: str
    since: datetime
    checkins_remaining: int
    code: str | None
    code_expires_at: datetime | None


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    citizen_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    colour: Colour
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RiskRegionIn(msgspec.Struct, forbid_unknown_fields=True):
    code: RegionCode
    level: RiskLevel


class RiskRegionsIn(msgspec.Struct, forbid_unknown_fields=True):
    regions: Annotated[list[RiskRegionIn], msgspec.Meta(max_length=5000)]


class RiskRegionOut(msgspec.Struct):
    code: str
    level: RiskLevel
    listed_at: datetime


class RiskRegions(msgspec.Struct):
    regions: list[RiskRegionOut]
    recomputing: list[str]  # codes newly risky (or riskier): their visitors are being recomputed


class ScanIn(msgspec.Struct):
    # No length limit here on purpose: any string is answered with a decision, never a 422.
    code: str


class IdCardScanIn(msgspec.Struct, forbid_unknown_fields=True):
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class ScanOut(msgspec.Struct):
    scan_id: str
    result: Literal["pass", "deny"]
    colour: Colour | None
    name_masked: str | None
    reason: ScanReason | None
    scanned_at: datetime


class OfflineBatchIn(msgspec.Struct):
    # Items are checked one by one, so that one malformed item is rejected alone:
    # each is {scan_id: UUID, code: str, scanned_at: RFC 3339, result: "pass" | "deny"}.
    scans: Annotated[list[Any], msgspec.Meta(max_length=1000)]


class OfflineScanItem(msgspec.Struct):
    scan_id: Annotated[str, msgspec.Meta(max_length=64)]
    code: str
    scanned_at: datetime
    result: Literal["pass", "deny"]


class Rejected(msgspec.Struct):
    scan_id: str | None
    reason: str


class OfflineResult(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class Exposure(msgspec.Struct):
    citizen_id: str | None  # null for the holder of another issuer's code
    venue_id: str
    scanned_at: datetime
    overlap_at: datetime
    foreign_subject: str | None = None  # that holder's keyed hash (the same at every scan)


class ExposureMarkIn(msgspec.Struct, forbid_unknown_fields=True):
    citizen_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    from_: datetime = msgspec.field(name="from")
    to: datetime | None = None
    window_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 30
    mark: Literal["close_contact", "companion"] = "close_contact"


class ExposureMarked(msgspec.Struct):
    marked: int
    rule_id: str


class RuleOut(msgspec.Struct):
    id: str
    version: str
    colour: Colour
    reason: str
    explanation: str
    logic: Any


class RulesetOut(msgspec.Struct):
    version: str
    description: str
    rules: list[RuleOut]
    days_to_green: dict[str, int]


class CodeCheck(msgspec.Struct):
    """A code checked the way an online gate checks it, without a scan record."""

    citizen_id: str | None
    colour_now: Colour | None
    deny_reason: ScanReason | None

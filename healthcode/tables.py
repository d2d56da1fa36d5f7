"""Health-code tables. Only healthcode's own modules query them.

Citizens are referenced by id only (no foreign key into identity's tables: a domain knows
another domain through its service). Composite indexes (a scan log read by venue and time,
and by citizen and time) are created by a raw migration, as Piccolo declares single columns.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class HealthStatus(Table, tablename="hc_status"):
    """A citizen's current colour and the streak that may turn it green."""

    citizen_id = Varchar(length=36, primary_key=True)
    name_masked = Varchar(length=64, null=True, default=None)
    colour = Varchar(length=6, null=False, default="green")
    rule_id = Varchar(length=60, null=False, default="")
    reason = Varchar(length=200, null=False, default="")
    since = Timestamptz(null=False)
    # The Asia/Shanghai day (YYYY-MM-DD) of the last raising event: streak days come after it.
    restart_day = Varchar(length=10, null=False, default="")
    streak = Integer(null=False, default=0)
    last_checkin_day = Varchar(length=10, null=True, default=None)
    updated_at = Timestamptz(null=False)


class Declaration(Table, tablename="hc_declaration"):
    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    temperature_c = DoublePrecision(null=False, default=36.5)
    symptoms = Varchar(length=200, null=False, default="")  # comma-separated
    close_contact = Boolean(null=False, default=False)
    colour = Varchar(length=6, null=False, default="green")  # what the rules said
    rule_id = Varchar(length=60, null=False, default="")
    created_at = Timestamptz(null=False, index=True)


class Visit(Table, tablename="hc_visit"):
    """A declared visit to a region, kept so a region newly listed as risky finds its visitors."""

    id = Serial(primary_key=True)
    citizen_id = Varchar(length=36, null=False)
    region_code = Varchar(length=6, null=False)
    declared_at = Timestamptz(null=False, index=True)


class CheckIn(Table, tablename="hc_checkin"):
    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    day = Varchar(length=10, null=False)  # Asia/Shanghai calendar day
    temperature_c = DoublePrecision(null=False, default=36.5)
    symptoms = Varchar(length=200, null=False, default="")
    normal = Boolean(null=False, default=True)
    created_at = Timestamptz(null=False, index=True)


class HealthEvent(Table, tablename="hc_event"):
    """Every change of a citizen's colour or streak, with its cause: the status history."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    kind = Varchar(length=20, null=False)  # declaration, checkin, override, region, trace
    colour_before = Varchar(length=6, null=True, default=None)
    colour_after = Varchar(length=6, null=False)
    rule_id = Varchar(length=60, null=False)
    reason = Varchar(length=200, null=False, default="")
    actor_id = Varchar(length=36, null=True, default=None)
    # Makes a job's effect happen once (a region recompute retried after a crash).
    dedupe_key = Varchar(length=160, null=True, default=None, unique=True)
    created_at = Timestamptz(null=False)


class RiskRegion(Table, tablename="hc_risk_region"):
    code = Varchar(length=6, primary_key=True)
    level = Varchar(length=6, null=False)  # high | medium
    listed_at = Timestamptz(null=False)


class SigningKey(Table, tablename="hc_signing_key"):
    """Code-signing keys. The highest generation is `next` (published, not yet signing), the
    one below it `active`, the one below that `previous` (verifies codes still alive);
    older generations are retired."""

    kid = Varchar(length=64, primary_key=True)  # RFC 7638 thumbprint
    generation = Integer(null=False, unique=True)
    private_sealed = Text(null=False)  # PKCS#8 PEM sealed with the keyring
    public_jwk = Text(null=False)
    created_at = Timestamptz(null=False)


class ScanRecord(Table, tablename="hc_scan"):
    """One gate scan. Indexed (venue, time), (citizen, time), time and jti by migration."""

    id = Varchar(length=36, primary_key=True)
    venue_id = Varchar(length=36, null=False)
    gate_id = Varchar(length=36, null=False)
    citizen_id = Varchar(length=36, null=True, default=None)
    jti = Varchar(length=32, null=True, default=None)
    source = Varchar(length=8, null=False)  # code | id_card | offline
    result = Varchar(length=4, null=False)  # pass | deny
    reason = Varchar(length=20, null=True, default=None)
    colour = Varchar(length=6, null=True, default=None)
    flagged = Boolean(null=False, default=False)
    scanned_at = Timestamptz(null=False)
    recorded_at = Timestamptz(null=False)
    # A foreign code's holder (another city's, an EU DCC's): keyed hash, never the name.
    subject_hash = Varchar(length=64, null=True, default=None)


class CodeUse(Table, tablename="hc_code_use"):
    """The venue a code was first used at: one row per code, claimed when its first scan is
    written. The primary key serialises two processes claiming one code at once, so a code
    scanned at two venues is caught even when neither scan record is committed yet.
    Kept for an hour (a code lives 90 s)."""

    jti = Varchar(length=32, primary_key=True)
    venue_id = Varchar(length=36, null=False)
    seen_at = Timestamptz(null=False, index=True)


TABLES: list[type[Table]] = [
    HealthStatus,
    Declaration,
    Visit,
    CheckIn,
    HealthEvent,
    RiskRegion,
    SigningKey,
    ScanRecord,
    CodeUse,
]

"""Identity tables. Only identity.service queries them."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Citizen(Table, tablename="citizen"):
    id = Varchar(length=36, primary_key=True)
    phone = Varchar(length=11, unique=True, null=False)
    roles = Varchar(length=200, null=False, default="citizen")  # comma-separated
    real_name_verified = Boolean(null=False, default=False)
    name_masked = Varchar(length=64, null=True, default=None)
    name_sealed = Text(null=True, default=None)  # AES-GCM of the full name
    id_hash = Varchar(length=64, null=True, default=None, unique=True)  # HMAC of the ID number
    id_sealed = Text(null=True, default=None)  # AES-GCM of the ID number
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)


class OneTimeCode(Table, tablename="one_time_code"):
    """The live login code of a phone (one at a time), stored as a keyed hash."""

    id = Serial(primary_key=True)
    phone = Varchar(length=11, unique=True, null=False)
    code_hash = Varchar(length=64, null=False)
    attempts = Integer(null=False, default=0)
    expires_at = Timestamptz(null=False)


class LoginSession(Table, tablename="login_session"):
    """One login: all its access and refresh tokens die together when it is revoked."""

    id = Varchar(length=36, primary_key=True)
    citizen = ForeignKey(references=Citizen, null=False, index=True)
    created_at = Timestamptz(null=False)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=40, null=True, default=None)


class RefreshToken(Table, tablename="refresh_token"):
    id = Varchar(length=36, primary_key=True)
    session = ForeignKey(references=LoginSession, null=False, index=True)
    token_hash = Varchar(length=64, unique=True, null=False)
    created_at = Timestamptz(null=False)
    spent_at = Timestamptz(null=True, default=None)
    successor_sealed = Text(null=True, default=None)  # the pair it was exchanged for (grace)


class Venue(Table, tablename="venue"):
    id = Varchar(length=36, primary_key=True)
    name = Varchar(length=200, null=False)
    kind = Varchar(length=20, null=False)
    region_code = Varchar(length=6, null=False)
    address = Varchar(length=500, null=False, default="")
    admission = Varchar(length=40, null=False)  # colours that pass, comma-separated
    foreign_codes = Boolean(null=False, default=True)  # other issuers' codes may pass
    created_at = Timestamptz(null=False)


class Gate(Table, tablename="gate"):
    id = Varchar(length=36, primary_key=True)
    venue = ForeignKey(references=Venue, null=False, index=True)
    name = Varchar(length=200, null=False)
    secret_hash = Varchar(length=64, null=False)
    created_at = Timestamptz(null=False)
    revoked_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="audit_entry"):
    """Every admin action and every read of the scan log by a person."""

    id = Varchar(length=36, primary_key=True)
    actor_id = Varchar(length=36, null=False, index=True)
    action = Varchar(length=60, null=False)
    target = Varchar(length=200, null=False)
    created_at = Timestamptz(null=False, index=True)

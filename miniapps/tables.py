"""The platform's tables. Only the miniapps service modules query them.

Citizens are referred to by id without a foreign key: identity's tables belong to identity.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class DeveloperApp(Table, tablename="miniapp_app"):
    """An external mini-app registered through the developer API."""

    id = Varchar(length=36, primary_key=True)
    slug = Varchar(length=32, null=False, unique=True)
    name = Varchar(length=60, null=False)
    version = Varchar(length=40, null=False, default="1.0.0")
    developer_id = Varchar(length=36, null=False, index=True)
    scopes = Varchar(length=200, null=False, default="")  # comma-separated
    templates = Text(null=False, default="")  # comma-separated template names
    webhook_url = Varchar(length=500, null=True, default=None)
    client_id = Varchar(length=40, null=False, unique=True)
    client_secret_hash = Varchar(length=64, null=False)
    secret_version = Integer(null=False, default=1)  # bumped on rotation: old tokens die
    webhook_secret_sealed = Text(null=False)  # AES-GCM: it must sign, so it is not hashed
    status = Varchar(length=12, null=False, default="draft")  # draft | submitted | live
    created_at = Timestamptz(null=False)
    submitted_at = Timestamptz(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)


class AppOpenId(Table, tablename="miniapp_openid"):
    """Resolves an app's openid (a keyed hash) back to the citizen."""

    id = Serial(primary_key=True)
    slug = Varchar(length=32, null=False)
    # A keyed hash of (slug, citizen): unique across apps too (SQLite migrations cannot add
    # composite constraints, and a 128-bit hash makes them unnecessary).
    openid = Varchar(length=40, null=False, unique=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    created_at = Timestamptz(null=False)


class Grant(Table, tablename="miniapp_grant"):
    """A citizen's consent to one app: the scopes, and the id its tokens are bound to."""

    id = Serial(primary_key=True)
    openid = Varchar(length=40, null=False, unique=True)  # one grant per (app, citizen)
    slug = Varchar(length=32, null=False)
    citizen_id = Varchar(length=36, null=False, index=True)
    grant_id = Varchar(length=36, null=False, unique=True)  # new on every fresh grant
    scopes = Varchar(length=200, null=False, default="")
    granted_at = Timestamptz(null=False)
    revoked_at = Timestamptz(null=True, default=None)


class AuthorizationCode(Table, tablename="miniapp_auth_code"):
    """A one-time code an external app exchanges for a citizen's token (stored hashed)."""

    id = Serial(primary_key=True)
    code_hash = Varchar(length=64, null=False, unique=True)
    slug = Varchar(length=32, null=False)
    openid = Varchar(length=40, null=False)
    grant_id = Varchar(length=40, null=False)  # a grant, or a sandbox citizen's id
    sandbox = Boolean(null=False, default=False)
    expires_at = Timestamptz(null=False)
    used_at = Timestamptz(null=True, default=None)


class DataAccess(Table, tablename="miniapp_data_access"):
    """Every read of a citizen's data by an app and every charge: the citizen sees them all."""

    id = Varchar(length=36, primary_key=True)
    citizen_id = Varchar(length=36, null=False, index=True)
    slug = Varchar(length=32, null=False)
    what = Varchar(length=30, null=False)
    detail = Varchar(length=200, null=False, default="")
    created_at = Timestamptz(null=False, index=True)


class SandboxCitizen(Table, tablename="miniapp_sandbox_citizen"):
    """A made-up citizen an app's developer tests with; no real person behind it."""

    id = Varchar(length=40, primary_key=True)
    app_id = Varchar(length=36, null=False, index=True)
    slug = Varchar(length=32, null=False)
    openid = Varchar(length=40, null=False, unique=True)
    name = Varchar(length=40, null=False)
    colour = Varchar(length=8, null=False, default="green")
    credit_limit = Integer(null=False, default=100_000)
    created_at = Timestamptz(null=False)


class SandboxEntry(Table, tablename="miniapp_sandbox_entry"):
    """A hold or charge in the sandbox wallet: it moves no real credit."""

    id = Varchar(length=40, primary_key=True)
    slug = Varchar(length=32, null=False, index=True)
    sandbox_citizen_id = Varchar(length=40, null=False, index=True)
    kind = Varchar(length=10, null=False)  # hold | charge
    amount = Integer(null=False)
    captured = Integer(null=False, default=0)
    refunded = Integer(null=False, default=0)
    status = Varchar(length=10, null=False)  # held | captured | voided | expired | charged
    memo = Varchar(length=200, null=False, default="")
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)

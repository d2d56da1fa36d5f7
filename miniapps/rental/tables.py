"""Rental's own tables (`rental_*`). Citizens appear only by their openid for this app.

Dates of a lease (`start_date`, `end_date`, a rent's `due_on`) are calendar days in Asia/
Shanghai, stored as ISO text (`2026-03-01`) so that they compare alike on SQLite and
PostgreSQL. The tenant register (real name and per-app ID hash) is kept because the law
requires landlords to register their tenants; nothing else of a person is stored, and the
name only sealed with the app's own key (`ctx.seal`, for its lease: never in clear).
"""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Listing(Table, tablename="rental_listing"):
    id = Varchar(length=36, primary_key=True)
    landlord_openid = Varchar(length=40, null=False, index=True)
    landlord_id_hash = Varchar(length=64, null=False)
    landlord_name_masked = Varchar(length=40, null=False)
    title = Varchar(length=80, null=False)
    region_code = Varchar(length=6, null=False, index=True)
    address = Varchar(length=200, null=False)
    rooms = Integer(null=False, default=1)
    area_m2 = Integer(null=True, default=None)
    rent_amount = Integer(null=False, default=0)  # fen a month
    deposit_amount = Integer(null=False, default=0)  # fen, held on credit for the lease
    description = Text(null=False, default="")
    status = Varchar(length=10, null=False, default="listed")  # listed | leased
    created_at = Timestamptz(null=False)


class Viewing(Table, tablename="rental_viewing"):
    id = Varchar(length=36, primary_key=True)
    listing_id = Varchar(length=36, null=False, index=True)
    landlord_openid = Varchar(length=40, null=False, index=True)
    visitor_openid = Varchar(length=40, null=False, index=True)
    visitor_name_masked = Varchar(length=40, null=True, default=None)
    at = Timestamptz(null=False)
    status = Varchar(length=10, null=False, default="booked")  # booked | cancelled
    # `listing:visitor` while booked, NULL once cancelled: one booked viewing per pair.
    open_key = Varchar(length=80, null=True, default=None, unique=True)
    created_at = Timestamptz(null=False)
    cancelled_at = Timestamptz(null=True, default=None)


class Lease(Table, tablename="rental_lease"):
    id = Varchar(length=36, primary_key=True)
    listing_id = Varchar(length=36, null=False, index=True)
    viewing_id = Varchar(length=36, null=False)
    landlord_openid = Varchar(length=40, null=False, index=True)
    tenant_openid = Varchar(length=40, null=False, index=True)
    status = Varchar(length=10, null=False, default="offered")  # offered | active | ended
    start_date = Varchar(length=10, null=False)
    end_date = Varchar(length=10, null=False)  # exclusive: the day the flat is handed back
    months = Integer(null=False, default=1)
    rent_amount = Integer(null=False, default=0)
    deposit_amount = Integer(null=False, default=0)
    deposit_hold_id = Varchar(length=36, null=True, default=None)
    deposit_expires_at = Timestamptz(null=True, default=None)
    tenant_real_name_sealed = Varchar(length=255, null=True, default=None)  # register_purpose
    tenant_id_hash = Varchar(length=64, null=True, default=None)
    # The next month to charge (0-based) and when; NULL when every month is charged.
    next_rent_month = Integer(null=True, default=None)
    next_rent_due_at = Timestamptz(null=True, default=None, index=True)
    last_rent_failure = Varchar(length=40, null=True, default=None)
    created_at = Timestamptz(null=False)
    signed_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)


class RentCharge(Table, tablename="rental_rent_charge"):
    """One month's rent charged: `lease_month` (`lease:month`) is unique, so at most once."""

    id = Varchar(length=36, primary_key=True)
    lease_id = Varchar(length=36, null=False, index=True)
    lease_month = Varchar(length=48, null=False, unique=True)
    month = Integer(null=False, default=0)  # 0-based
    due_on = Varchar(length=10, null=False)
    amount = Integer(null=False, default=0)
    charge_id = Varchar(length=36, null=False)
    charged_at = Timestamptz(null=False)


TABLES: list[type[Table]] = [Listing, Viewing, Lease, RentCharge]

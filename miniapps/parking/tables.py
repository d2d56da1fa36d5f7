"""Parking's own tables (`parking_*`). Citizens appear only by their openid for this app.

Plates are stored normalised (`浙A12345`); a stay keeps the tariff it started under, so a
tariff changed during the stay does not change its fee.
"""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table


class CarPark(Table, tablename="parking_car_park"):
    """One car park per venue: its id is the venue's id, configured by the venue's device."""

    id = Varchar(length=36, primary_key=True)
    name = Varchar(length=80, null=False)
    free_minutes = Integer(null=False, default=0)
    hourly_amount = Integer(null=False, default=0)
    daily_cap_amount = Integer(null=False, default=0)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class PlateBinding(Table, tablename="parking_plate"):
    """A plate bound to the citizen who pays for its stays; a plate has one owner."""

    plate = Varchar(length=12, primary_key=True)
    openid = Varchar(length=40, null=False, index=True)
    bound_at = Timestamptz(null=False)


class Stay(Table, tablename="parking_stay"):
    """From the entry event to the exit event of one plate at one car park."""

    id = Varchar(length=36, primary_key=True)
    car_park_id = Varchar(length=36, null=False, index=True)
    plate = Varchar(length=12, null=False, index=True)
    openid = Varchar(length=40, null=False, index=True)
    # The plate while the car is inside, NULL after exit: its uniqueness is "one open stay".
    open_plate = Varchar(length=12, null=True, default=None, unique=True)
    status = Varchar(length=10, null=False, default="parked")  # parked | exited
    free_minutes = Integer(null=False, default=0)
    hourly_amount = Integer(null=False, default=0)
    daily_cap_amount = Integer(null=False, default=0)
    entered_at = Timestamptz(null=False)
    entry_gate_id = Varchar(length=36, null=False)
    exited_at = Timestamptz(null=True, default=None)
    exit_gate_id = Varchar(length=36, null=True, default=None)
    fee_amount = Integer(null=True, default=None)
    settled_by = Varchar(length=10, null=True, default=None)  # wallet | booth
    charge_id = Varchar(length=36, null=True, default=None)


TABLES: list[type[Table]] = [CarPark, PlateBinding, Stay]

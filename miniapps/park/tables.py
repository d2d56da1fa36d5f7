"""Park's own tables (named `park_*`): parks, time slots, reservations and entries.

A slot's `reserved` counts its reservations and walk-ins; it only ever grows through
`UPDATE … SET reserved = reserved + 1 WHERE reserved < capacity`, so a slot is never
oversold whatever the concurrency. A reservation's `active_key` (slot and openid, cleared on
cancellation) lets a citizen hold one place per slot, entered or not.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Park(Table, tablename="park_park"):
    id = Varchar(length=36, primary_key=True)
    venue_id = Varchar(length=36, null=False, unique=True)
    name = Varchar(length=80, null=False)
    ticket = Integer(null=False, default=0)  # fen charged at entry; 0 is free
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Slot(Table, tablename="park_slot"):
    id = Varchar(length=36, primary_key=True)
    park = ForeignKey(references=Park, null=False, index=True)
    starts_at = Timestamptz(null=False)
    ends_at = Timestamptz(null=False)
    capacity = Integer(null=False)
    reserved = Integer(null=False, default=0)
    slot_key = Varchar(length=80, null=False, unique=True)  # "<park>:<starts_at>"
    created_at = Timestamptz(null=False)


class Reservation(Table, tablename="park_reservation"):
    """A place in a slot: booked ahead, or taken by a walk-in at the gate."""

    id = Varchar(length=36, primary_key=True)
    slot = ForeignKey(references=Slot, null=False, index=True)
    park = ForeignKey(references=Park, null=False)
    openid = Varchar(length=40, null=False, index=True)
    status = Varchar(length=12, null=False, default="reserved")  # reserved|entered|cancelled
    walk_in = Boolean(null=False, default=False)
    active_key = Varchar(length=80, null=True, default=None, unique=True)
    created_at = Timestamptz(null=False)
    closed_at = Timestamptz(null=True, default=None)


class Entry(Table, tablename="park_entry"):
    """The gate's record of an entry: when, through which gate, the colour, the ticket."""

    id = Varchar(length=36, primary_key=True)
    park = ForeignKey(references=Park, null=False, index=True)
    slot = ForeignKey(references=Slot, null=False)
    reservation = ForeignKey(references=Reservation, null=False, unique=True)
    openid = Varchar(length=40, null=False)
    gate_id = Varchar(length=36, null=False)
    colour = Varchar(length=8, null=False)
    walk_in = Boolean(null=False, default=False)
    amount = Integer(null=False, default=0)
    charge_id = Varchar(length=64, null=True, default=None)
    entered_at = Timestamptz(null=False)

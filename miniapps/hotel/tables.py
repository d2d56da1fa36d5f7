"""Hotel's own tables (named `hotel_*`). Guests appear by this app's openid, except in the
guest register, which the law requires hotels to keep: the real name (sealed with the app's
own key, `ctx.seal`, for its line: never in clear) and this app's hash of the ID number (never
the number), with the times of the stay.

Two columns make "never two stays in one room at once" hold on both engines: the room's
`stay_id` (claimed with a conditional UPDATE) and the stay's `room_key` (the room's id while
the guest is in house, else NULL; unique, and NULLs never collide).
"""

from piccolo.columns import Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Hotel(Table, tablename="hotel_hotel"):
    id = Varchar(length=36, primary_key=True)
    venue_id = Varchar(length=36, null=False, unique=True)
    name = Varchar(length=80, null=False)
    incidentals = Integer(null=False)  # fen held on top of the room for extras
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class RoomType(Table, tablename="hotel_room_type"):
    id = Varchar(length=36, primary_key=True)
    hotel = ForeignKey(references=Hotel, null=False, index=True)
    name = Varchar(length=40, null=False)
    name_key = Varchar(length=120, null=False, unique=True)  # "<hotel>:<name>"
    rate = Integer(null=False)  # fen a night
    created_at = Timestamptz(null=False)


class Room(Table, tablename="hotel_room"):
    id = Varchar(length=36, primary_key=True)
    hotel = ForeignKey(references=Hotel, null=False, index=True)
    room_type = ForeignKey(references=RoomType, null=False, index=True)
    number = Varchar(length=10, null=False)
    number_key = Varchar(length=60, null=False, unique=True)  # "<hotel>:<number>"
    stay_id = Varchar(length=36, null=True, default=None, unique=True)  # the guest in house
    created_at = Timestamptz(null=False)


class Reservation(Table, tablename="hotel_reservation"):
    """A booking from the app: the stay is held on credit until arrival, or voided."""

    id = Varchar(length=36, primary_key=True)
    hotel = ForeignKey(references=Hotel, null=False, index=True)
    room_type = ForeignKey(references=RoomType, null=False)
    openid = Varchar(length=40, null=False, index=True)
    arrival = Date(null=False)
    nights = Integer(null=False)
    amount = Integer(null=False)
    hold_id = Varchar(length=64, null=False)
    # reserved | checked_in | cancelled | no_show | expired
    status = Varchar(length=12, null=False, default="reserved")
    open_key = Varchar(length=120, null=True, default=None, unique=True)
    created_at = Timestamptz(null=False)
    closed_at = Timestamptz(null=True, default=None)


class Stay(Table, tablename="hotel_stay"):
    id = Varchar(length=36, primary_key=True)
    hotel = ForeignKey(references=Hotel, null=False, index=True)
    room = ForeignKey(references=Room, null=False)
    room_type = ForeignKey(references=RoomType, null=False)
    openid = Varchar(length=40, null=False, index=True)
    reservation_id = Varchar(length=36, null=True, default=None)
    nights = Integer(null=False)
    rate = Integer(null=False)
    incidentals = Integer(null=False)
    hold_id = Varchar(length=64, null=False)
    hold_amount = Integer(null=False)
    extras = Integer(null=False, default=0)
    status = Varchar(length=12, null=False, default="in_house")  # in_house | checked_out
    active_key = Varchar(length=80, null=True, default=None, unique=True)  # "<hotel>:<openid>"
    room_key = Varchar(length=36, null=True, default=None, unique=True)  # room id in house
    captured = Integer(null=False, default=0)
    released = Integer(null=False, default=0)
    checked_in_at = Timestamptz(null=False)
    checked_out_at = Timestamptz(null=True, default=None)


class Extra(Table, tablename="hotel_extra"):
    id = Varchar(length=36, primary_key=True)
    stay = ForeignKey(references=Stay, null=False, index=True)
    item = Varchar(length=80, null=False)
    amount = Integer(null=False)
    created_at = Timestamptz(null=False)


class GuestRecord(Table, tablename="hotel_guest_register"):
    """The register hotels must keep (through `identity.realname`)."""

    id = Varchar(length=36, primary_key=True)
    hotel = ForeignKey(references=Hotel, null=False, index=True)
    stay = ForeignKey(references=Stay, null=False, unique=True)
    room_number = Varchar(length=10, null=False)
    real_name_sealed = Varchar(length=255, null=False)  # register_purpose(id)
    id_hash = Varchar(length=128, null=False)
    checked_in_at = Timestamptz(null=False)
    checked_out_at = Timestamptz(null=True, default=None)

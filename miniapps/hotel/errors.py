"""Hotel's failures, each with a stable code the front desk or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, Forbidden, NotFound


class HotelNotSetUp(NotFound):
    code, title = "hotel_not_set_up", "This venue has no hotel profile yet"


class ColourNotGreen(Forbidden):
    code, title = "colour_not_green", "Check-in needs a green health code"


class AlreadyCheckedIn(Conflict):
    code, title = "already_checked_in", "The guest is already staying at this hotel"


class NoRoomAvailable(Conflict):
    code, title = "no_room_available", "No room of this type is free"


class StayNotOpen(Conflict):
    code, title = "stay_not_open", "The guest has already checked out"


class ExceedsIncidentals(Conflict):
    code, title = "exceeds_incidentals", "Extras would exceed the incidentals held"


class ReservationExists(Conflict):
    code, title = "reservation_exists", "Already booked at this hotel for that day"


class ReservationNotOpen(Conflict):
    code, title = "reservation_not_open", "The reservation is no longer open"


class ArrivalDayNotReached(Conflict):
    code, title = "arrival_day_not_reached", "The guest's arrival day has not come yet"

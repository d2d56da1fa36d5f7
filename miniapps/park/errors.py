"""Park's failures, each with a stable code the turnstile or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, Forbidden, NotFound


class ParkNotSetUp(NotFound):
    code, title = "park_not_set_up", "This venue has no park profile yet"


class SlotFull(Conflict):
    code, title = "slot_full", "The time slot is fully booked"


class SlotClosed(Conflict):
    code, title = "slot_closed", "The time slot has ended"


class NoSlotNow(Conflict):
    code, title = "no_slot_now", "The park has no time slot open now"


class AlreadyReserved(Conflict):
    code, title = "already_reserved", "Already holding a place in this time slot"


class AlreadyEntered(Conflict):
    code, title = "already_entered", "Already entered in this time slot"


class ReservationNotOpen(Conflict):
    code, title = "reservation_not_open", "The reservation is already used or cancelled"


class ColourNotGreen(Forbidden):
    code, title = "colour_not_green", "Entry needs a green health code"

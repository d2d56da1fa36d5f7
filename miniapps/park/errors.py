"""Park's failures, each with a stable code the turnstile or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, Forbidden, NotFound, ProblemError


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


class CodeExpired(ProblemError):
    status, code, title = 422, "code_expired", "The health code has expired"


class CodeInvalid(ProblemError):
    status, code, title = 422, "code_invalid", "Not a valid health code"


class UnknownPerson(ProblemError):
    status, code, title = 422, "unknown_person", "No citizen behind this code"


def scan_refused(reason: str | None) -> ProblemError:
    """The error for a code the scan could not resolve to a person."""
    if reason == "code_expired":
        return CodeExpired("The code has expired: ask the visitor to refresh it.")
    if reason == "unknown_person":
        return UnknownPerson("This code belongs to nobody the app knows.")
    return CodeInvalid("This is not a health code the City Brain app issued.")

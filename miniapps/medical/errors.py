"""Medical's failures, each with a stable code a hospital device or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, NotFound, ProblemError


class HospitalNotSetUp(NotFound):
    code, title = "hospital_not_set_up", "This venue has no hospital profile yet"


class VisitExists(Conflict):
    code, title = "visit_exists", "Already registered at this hospital today"


class VisitNotOpen(Conflict):
    code, title = "visit_not_open", "The visit is already settled or cancelled"


class VisitHasCharges(Conflict):
    code, title = "visit_has_charges", "The visit has charges: settle it at the hospital"


class BillExceedsEstimate(Conflict):
    code, title = "bill_exceeds_estimate", "The bill would exceed the amount held"


class CodeExpired(ProblemError):
    status, code, title = 422, "code_expired", "The health code has expired"


class CodeInvalid(ProblemError):
    status, code, title = 422, "code_invalid", "Not a valid health code"


class UnknownPerson(ProblemError):
    status, code, title = 422, "unknown_person", "No citizen behind this code"


def scan_refused(reason: str | None) -> ProblemError:
    """The error for a code the scan could not resolve to a person."""
    if reason == "code_expired":
        return CodeExpired("The code has expired: ask the patient to refresh it.")
    if reason == "unknown_person":
        return UnknownPerson("This code belongs to nobody the app knows.")
    return CodeInvalid("This is not a health code the City Brain app issued.")

"""Medical's failures, each with a stable code a hospital device or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, NotFound


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

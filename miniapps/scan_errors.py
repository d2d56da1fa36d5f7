"""The problems a device flow answers when a scanned code leads to nobody.

Every mini-app whose gates scan health codes (`Device.scan`) refuses the same three ways, with
the same codes, so that gate software handles them once whatever the app. Apps get them from
`miniapps.sdk`.
"""

from __future__ import annotations

from app.errors import ProblemError


class CodeExpired(ProblemError):
    status, code, title = 422, "code_expired", "The health code has expired"


class CodeInvalid(ProblemError):
    status, code, title = 422, "code_invalid", "Not a valid health code"


class UnknownPerson(ProblemError):
    status, code, title = 422, "unknown_person", "No citizen behind this code"


SCAN_PROBLEMS = (CodeExpired, CodeInvalid, UnknownPerson)
"""For the `opt={"problems": [...]}` of a route that scans codes."""


def scan_refused(reason: str | None, holder: str = "citizen") -> ProblemError:
    """The problem for a scan that found nobody (its `deny_reason`); `holder` is who the
    desk should ask to refresh an expired code: "guest", "patient", "visitor"."""
    if reason == "code_expired":
        return CodeExpired(f"The code has expired: ask the {holder} to refresh it.")
    if reason == "unknown_person":
        return UnknownPerson("This code belongs to nobody the app knows.")
    return CodeInvalid("This is not a health code the City Brain app issued.")

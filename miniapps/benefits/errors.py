"""Benefits' failures, each with a stable code staff or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, NotFound


class ProgrammeNotFound(NotFound):
    code, title = "programme_not_found", "No such programme"


class ProgrammeClosed(Conflict):
    code, title = "programme_closed", "The programme is closed"

"""Notifications' failures, each with its HTTP status and stable code (API.md)."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, ProblemError


class NotSubscribed(Forbidden):
    code, title = "not_subscribed", "The citizen has not subscribed to this template"


class UnknownTemplate(ProblemError):
    """A mini-app sending a template it never declared (raised by miniapps' notify facade)."""

    status, code, title = 422, "unknown_template", "The mini-app has not declared this template"


class NothingToReplay(Conflict):
    code, title = "not_replayable", "Only a delivery that has finished can be replayed"

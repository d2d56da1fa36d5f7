"""Reports' failures, each with a stable code the app or the staff's console can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, Forbidden, ValidationFailed


class EventNotOpen(Conflict):
    code, title = "event_not_open", "The event is not waiting in the queue"


class EventNotTaken(Conflict):
    code, title = "event_not_taken", "The event is not being handled"


class EventClosed(Conflict):
    code, title = "event_closed", "The event is already resolved"


class EventNotResolved(Conflict):
    code, title = "event_not_resolved", "The event is not resolved yet"


class AlreadyRated(Conflict):
    code, title = "already_rated", "The outcome is already rated"


class NotYourEvent(Forbidden):
    code, title = "not_your_event", "Another worker is handling this event"


class InvalidPhoto(ValidationFailed):
    code, title = "invalid_photo", "A photo is not an acceptable image"

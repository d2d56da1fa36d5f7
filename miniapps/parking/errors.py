"""Parking's failures, each with a stable code a gate device or the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, NotFound


class PlateTaken(Conflict):
    code, title = "plate_taken", "The plate is bound to another citizen"


class PlateLimitReached(Conflict):
    code, title = "plate_limit_reached", "Too many plates bound"


class PlateInUse(Conflict):
    code, title = "plate_in_use", "The car is parked: the plate stays bound until it leaves"


class PlateNotRegistered(NotFound):
    code, title = "plate_not_registered", "No citizen has bound this plate"


class CarParkNotConfigured(Conflict):
    code, title = "car_park_not_configured", "This venue has no car park tariff yet"


class AlreadyParked(Conflict):
    code, title = "already_parked", "The plate is already inside another car park"


class StayNotFound(NotFound):
    code, title = "stay_not_found", "The plate has no open stay at this car park"

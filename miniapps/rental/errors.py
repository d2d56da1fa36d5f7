"""Rental's failures, each with a stable code the app can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict


class ListingUnavailable(Conflict):
    code, title = "listing_unavailable", "The home is already let"


class OwnListing(Conflict):
    code, title = "own_listing", "This is your own listing"


class ViewingExists(Conflict):
    code, title = "viewing_exists", "You already booked a viewing of this home"


class ViewingNotBooked(Conflict):
    code, title = "viewing_not_booked", "The viewing is cancelled"


class LeaseNotOffered(Conflict):
    code, title = "lease_not_offered", "The lease is not an open offer"


class OfferExpired(Conflict):
    code, title = "offer_expired", "The lease's start date has passed"


class LeaseNotActive(Conflict):
    code, title = "lease_not_active", "The lease is not running"

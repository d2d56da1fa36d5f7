"""Hotel (30秒入住): the 30-second check-in.

The front desk scans the guest's health code: the real-name identity for the guest register
hotels must keep, a green colour, a deposit-free hold of rate × nights plus incidentals on
the credit line, and a room assigned atomically (never two stays in one room at once).
Check-out captures the nights and the extras; the rest of the hold is released. Bookings
made in the app are held until arrival; a no-show voids the hold.
"""

from miniapps.hotel.events import on_hold_expired
from miniapps.hotel.reservations import sweep_no_shows
from miniapps.hotel.routes import router
from miniapps.sdk import InProcessMiniApp, Job, Manifest

manifest = Manifest(
    slug="hotel",
    name="30秒入住 30-second check-in",
    version="1.0.0",
    scopes=("identity.realname", "healthcode.read", "wallet.charge"),
    charge_modes=("hold",),
    venue_kinds=("hotel",),
    description="Check in by the health code in 30 seconds: real-name guest register, green "
    "code, no deposit (a credit hold), a room at once; check-out captures the stay.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.hotel.piccolo_app",
    jobs=(Job(sweep_no_shows, every_seconds=3600),),
    event_handlers={"hold.expired": on_hold_expired},
)

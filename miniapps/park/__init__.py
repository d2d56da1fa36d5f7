"""Park (20秒入园): the 20-second entry.

Parks open time slots with capacities; citizens reserve a place, and a slot is never
oversold whatever the concurrency. At the turnstile the visitor's code is scanned: a green
colour, their reservation for the slot open now (or a walk-in place while capacity
remains), the ticket charged to their credit wallet (or free), and the entry recorded.
"""

from miniapps.park.routes import router
from miniapps.sdk import InProcessMiniApp, Manifest

manifest = Manifest(
    slug="park",
    name="20秒入园 20-second entry",
    version="1.0.0",
    scopes=("healthcode.read", "wallet.charge"),
    charge_modes=("charge",),
    venue_kinds=("park",),
    description="Reserve a time slot, enter in 20 seconds by the health code; the ticket is "
    "charged to the credit wallet.",
)

miniapp = InProcessMiniApp(
    manifest=manifest, router=router, piccolo_app="miniapps.park.piccolo_app"
)

"""Medical (先诊疗后付费): pay after treatment at every hospital of the city.

A citizen registers at a hospital department: the hospital's registration estimate is held
on their credit line. At the hospital the health code is the medical card: a device scans it
and finds today's visit; doctors and cashiers add charges; settlement captures the bill and
releases the rest of the hold; the bill then falls due under the wallet's rules. A citizen
with an overdue bill cannot register (the wallet refuses the hold) until they repay.
"""

from miniapps.medical.events import on_hold_expired
from miniapps.medical.routes import router
from miniapps.sdk import InProcessMiniApp, Manifest

manifest = Manifest(
    slug="medical",
    name="先诊疗后付费 Pay after treatment",
    version="1.0.0",
    scopes=("healthcode.read", "wallet.charge"),
    charge_modes=("hold",),
    venue_kinds=("hospital",),
    description="Register at a hospital on credit, treat first, pay after: the health code "
    "is the medical card and the bill is settled against a credit hold.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.medical.piccolo_app",
    event_handlers={"hold.expired": on_hold_expired},
)

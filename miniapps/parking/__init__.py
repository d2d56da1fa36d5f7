"""Parking (leave first, pay later): entry and exit by plate, the fee charged at exit.

Car parks are venues of kind `mall` or `other`; their barriers and the operator's terminal
are the venue's gates. A citizen binds their plates (granting `wallet.charge`); the entry
barrier opens only for an active wallet, and the exit barrier charges the fee to credit.
"""

from miniapps.parking.routes import router
from miniapps.sdk import InProcessMiniApp, Manifest

manifest = Manifest(
    slug="parking",
    name="停车 Leave first, pay later",
    version="1.0.0",
    platform=">=1.0,<2",
    scopes=("wallet.charge",),
    charge_modes=("charge",),  # fees are charged at exit; nothing is held
    venue_kinds=("mall", "other"),
    description="Leave first, pay later: car parks read your plate, the fee goes to credit.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.parking.piccolo_app",
)

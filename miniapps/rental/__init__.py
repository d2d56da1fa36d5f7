"""Rental (易租房): homes let by real-name landlords, with the deposit replaced by credit.

Listings searched by district, rent and rooms; viewing appointments; a lease whose deposit
is a credit hold for the whole term; monthly rent charged to credit by a job; move-out
voids the hold. Landlords keep the tenant register the law asks for (`identity.realname`).
"""

from miniapps.rental.rent import charge_due_rent
from miniapps.rental.routes import router
from miniapps.sdk import InProcessMiniApp, Job, Manifest

RENT_JOB_EVERY = 3600  # seconds: rent falls due at local midnight, charged within the hour

manifest = Manifest(
    slug="rental",
    name="易租房 Rental",
    version="1.0.0",
    platform=">=1.0,<2",
    scopes=("profile.basic", "identity.realname", "wallet.charge"),
    charge_modes=("hold", "charge"),
    description="Homes from real-name landlords; the deposit is a credit hold, rent goes to "
    "credit each month.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.rental.piccolo_app",
    jobs=(Job(charge_due_rent, every_seconds=RENT_JOB_EVERY),),
)

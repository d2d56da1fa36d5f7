"""Benefits (民生直达): benefits paid straight to citizens.

Staff define a programme (an amount per person, a budget, a payment day, eligibility rules
kept as data over the verified ID's age and region and a department's list); on the payment
day the scheduler pays every eligible citizen exactly once per period from the programme's
account, through the wallet's ledger and payment channel (or first to an overdue pay-later
balance, when the citizen chose that), never over the budget. "一个都不少、一天都不差".
"""

from miniapps.benefits.payments import pay_due_programmes, run_programme
from miniapps.benefits.routes import router
from miniapps.sdk import InProcessMiniApp, Job, Manifest

PAY_EVERY = 600  # seconds: the scheduler looks for due periods every 10 minutes

manifest = Manifest(
    slug="benefits",
    name="民生直达 Benefits straight to citizens",
    version="1.0.0",
    description="Programmes that pay eligible citizens directly: nobody eligible left out, "
    "nobody paid a day late.",
    privileges=("citizen_directory", "payouts"),
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.benefits.piccolo_app",
    jobs=(Job(pay_due_programmes, every_seconds=PAY_EVERY), Job(run_programme)),
)

"""Reports (掌上基层): citizens report problems to the grid.

A citizen reports an event (category, text, a GB/T 2260 region and coordinates, up to three
photos stripped of their EXIF). The grid workers of that region take it from their queue,
transfer it or resolve it with a note; every step is recorded and the reporter notified; the
reporter rates the outcome. Past its category's deadline an event escalates to the district.
Duplicates at one spot are merged; reports are rate-limited per citizen.
"""

from miniapps.reports.escalation import ESCALATE_EVERY, escalate_overdue
from miniapps.reports.routes import router
from miniapps.sdk import InProcessMiniApp, Job, Manifest

manifest = Manifest(
    slug="reports",
    name="掌上基层 Reports to the grid",
    version="1.0.0",
    platform=">=1.0,<2",
    scopes=("notify.send",),
    templates=("reports.update",),
    description="Report a problem in your neighbourhood to the grid; follow it until it is "
    "resolved, and rate the outcome.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="miniapps.reports.piccolo_app",
    jobs=(Job(escalate_overdue, every_seconds=ESCALATE_EVERY),),
)

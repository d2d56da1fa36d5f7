"""Services (一件事): one application for a life event.

A bundle ("a newborn", "opening a small shop") is data: its fields, which of them the
platform fills (the real name, a per-app hash of the ID number) or the citizen's earlier
applications fill (asked once, reused), and its steps, each one department's procedure
with the fields and materials it needs. A citizen starts an application, fills only what
is missing, attaches materials and submits once; each department's staff moves their own
step (accepted, needs more, approved, refused), seeing only that step's fields; the
citizen follows one status and is notified.
"""

from miniapps.sdk import InProcessMiniApp, Manifest
from miniapps.services.routes import router

manifest = Manifest(
    slug="services",
    name="一件事 One application for a life event",
    version="1.0.0",
    scopes=("profile.basic", "identity.realname", "notify.send"),
    templates=("services.status",),
    description="Apply once for a life event (a newborn, a new shop): the departments' "
    "procedures move on their own and the citizen follows one status.",
)

miniapp = InProcessMiniApp(
    manifest=manifest, router=router, piccolo_app="miniapps.services.piccolo_app"
)

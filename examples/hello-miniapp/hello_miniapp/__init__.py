"""Hello: the smallest mini-app that uses every part of the SDK.

Served under /api/v1/miniapps/hello: a greeting for anyone, a visit counter for a signed-in
citizen (profile.basic, its own table), their health-code colour (healthcode.read), tips
charged to the credit wallet (wallet.charge), a wave notification (notify.send), and a desk
at an office venue that scans visitors' codes (a device).
"""

from hello_miniapp.events import forget_visitor
from hello_miniapp.routes import router
from miniapps.sdk import InProcessMiniApp, Manifest

manifest = Manifest(
    slug="hello",
    name="Hello 城市大脑",
    version="1.0.0",
    platform=">=1.0,<2",
    scopes=("profile.basic", "healthcode.read", "wallet.charge", "notify.send"),
    templates=("hello.wave",),
    charge_modes=("charge",),
    venue_kinds=("office",),
    description="An example mini-app: greetings, visits, tips.",
)

miniapp = InProcessMiniApp(
    manifest=manifest,
    router=router,
    piccolo_app="hello_miniapp.piccolo_app",
    event_handlers={"grant.revoked": forget_visitor},
)

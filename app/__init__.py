"""The Litestar core of City Brain: settings, database, auth primitives, errors, jobs, CLI.

No business logic lives here; the domains (identity, healthcode, wallet, notifications,
miniapps) plug into it through `app.domains`.
"""

import os

# Piccolo finds its engine and apps through this module, wherever the process started.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")

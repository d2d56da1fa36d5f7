"""For Piccolo's own CLI run from the repository root (`piccolo migrations new … --auto`)."""

from app.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]

"""Piccolo's configuration: the engine comes from settings, the apps from app.domains."""

from piccolo.conf.apps import AppRegistry

from app.database import get_engine
from app.domains import piccolo_apps

DB = get_engine()
APP_REGISTRY = AppRegistry(apps=piccolo_apps())

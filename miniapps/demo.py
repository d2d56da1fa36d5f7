"""Demo data of every loaded mini-app: each package's optional `demo.seed(context)`."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from miniapps.registry import get_registry

log = logging.getLogger("citybrain.miniapps.demo")


async def seed(context: dict[str, Any]) -> None:
    for slug, loaded in get_registry().apps.items():
        package = type(loaded.app).__module__
        module_name = f"{package.rsplit('.', 1)[0]}.demo" if package != "miniapps.sdk" else None
        candidates = [f"miniapps.{slug}.demo"] + ([module_name] if module_name else [])
        for name in candidates:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name or (exc.name and name.startswith(exc.name + ".")):
                    continue
                raise
            await module.seed(context)
            break

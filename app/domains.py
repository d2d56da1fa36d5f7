"""The domains the core hosts. Each is a package that may provide:

- `<domain>.piccolo_app`: its Piccolo AppConfig (tables and migrations);
- `<domain>.routes`: `route_handlers` (controllers, routers), optional `plugins` (Litestar
  plugins) and optional `on_startup` / `on_shutdown` / `on_worker_startup` lists of
  coroutine functions;
- `<domain>.demo`: `async def seed(context: dict)` for `make run`'s demo data;
- `<domain>.tasks`: jobs registered with `app.jobs.task` / `app.jobs.periodic`.

A missing module is simply absent; an import error inside one is a bug and is raised.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

DOMAINS = ("identity", "healthcode", "recognition", "wallet", "notifications", "miniapps")


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module or (exc.name and module.startswith(exc.name + ".")):
            return None
        raise


def piccolo_apps() -> list[str]:
    found = ["app.piccolo_app"]
    for domain in DOMAINS:
        if _optional(f"{domain}.piccolo_app") is not None:
            found.append(f"{domain}.piccolo_app")
    return found


def load_tasks() -> None:
    for domain in DOMAINS:
        _optional(f"{domain}.tasks")


def route_handlers() -> list[Any]:
    handlers: list[Any] = []
    for domain in DOMAINS:
        module = _optional(f"{domain}.routes")
        if module is not None:
            handlers.extend(getattr(module, "route_handlers", []))
    return handlers


def plugins() -> list[Any]:
    """Litestar plugins a domain contributes (e.g. notifications' Channels)."""
    found: list[Any] = []
    for domain in DOMAINS:
        module = _optional(f"{domain}.routes")
        if module is not None:
            found.extend(getattr(module, "plugins", []))
    return found


def lifecycle_hooks(kind: str) -> list[Callable[[], Awaitable[None]]]:
    hooks: list[Callable[[], Awaitable[None]]] = []
    for domain in DOMAINS:
        module = _optional(f"{domain}.routes")
        if module is not None:
            hooks.extend(getattr(module, kind, []))
    return hooks

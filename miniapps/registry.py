"""The registry: which in-process mini-apps run, each checked before it is mounted.

Candidates are the first-party packages under `miniapps/` and the packages installed with an
entry point in the group `citybrain.miniapps` (the entry point's name is the app's slug).
`CITYBRAIN_MINIAPPS` picks which run (a comma-separated list of slugs; unset or `all`: every
one; `none`: none). A candidate that fails to load or to pass the checks (a valid manifest, a
unique slug, a compatible platform version, its required settings present, routes clear of
the platform's, tables named after it) is reported and left out, unless
`CITYBRAIN_MINIAPPS_STRICT=true`, which makes any failure stop the start-up.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import msgspec
from litestar import Router

from miniapps.manifest import PLATFORM_VERSION, Manifest, check_manifest, setting_variable

log = logging.getLogger("citybrain.miniapps")

ENTRY_POINT_GROUP = "citybrain.miniapps"
MOUNT_PREFIX = "/api/v1/miniapps"
# Paths under /api/v1/miniapps/{slug}/ that the platform serves for every app.
RESERVED_SEGMENTS = frozenset({"grants", "subscriptions"})
_NOT_APPS = frozenset({"migrations"})


class RegistryError(RuntimeError):
    """Strict mode: a mini-app failed to load."""


@dataclass(frozen=True)
class Candidate:
    """Something that may be a mini-app: its expected slug and how to load it."""

    name: str
    source: str
    load: Callable[[], object]


@dataclass(frozen=True)
class LoadedMiniApp:
    manifest: Manifest
    app: Any  # a miniapps.sdk.MiniApp
    source: str
    settings: Mapping[str, str]
    mount: Router | None


@dataclass(frozen=True)
class LoadFailure:
    source: str
    reason: str


@dataclass
class Registry:
    apps: dict[str, LoadedMiniApp] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    _jobs_registered: bool = False

    def get(self, slug: str) -> LoadedMiniApp | None:
        return self.apps.get(slug)

    def manifests(self) -> list[Manifest]:
        return [loaded.manifest for loaded in self.apps.values()]

    def routers(self) -> list[Router]:
        return [loaded.mount for loaded in self.apps.values() if loaded.mount is not None]

    def piccolo_apps(self) -> list[str]:
        return [loaded.app.piccolo_app for loaded in self.apps.values() if loaded.app.piccolo_app]

    def register_jobs(self) -> None:
        """Hand every app's jobs to the job runner; each gets an app-level context."""
        from app.jobs import periodic, task

        if self._jobs_registered:
            return
        for loaded in self.apps.values():
            for job in loaded.app.jobs:
                runner = _job_runner(loaded, job.fn)
                if job.every_seconds:
                    periodic(job.every_seconds)(runner)
                else:
                    task(runner)
        self._jobs_registered = True

    async def deliver_event(
        self, slug: str, *, event_id: str, kind: str, created_at: Any, data: Mapping[str, Any]
    ) -> bool:
        """Run the app's handler for an event (the in-process twin of a webhook)."""
        from miniapps.sdk import AppEvent

        loaded = self.apps.get(slug)
        handler = loaded.app.event_handlers.get(kind) if loaded else None
        if loaded is None or handler is None:
            return False
        await handler(app_context(loaded), AppEvent(event_id, kind, created_at, dict(data)))
        return True


def app_context(loaded: LoadedMiniApp) -> Any:
    """An app-level context (no citizen): for jobs and event handlers."""
    from miniapps.context import MiniAppContext

    return MiniAppContext(manifest=loaded.manifest, settings=loaded.settings)


def _job_runner(loaded: LoadedMiniApp, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def run(**kwargs: Any) -> None:
        await fn(app_context(loaded), **kwargs)

    return run


# Candidates --------------------------------------------------------------------------------


def builtin_candidates() -> list[Candidate]:
    """First-party packages `miniapps/<name>/` exporting `miniapp`."""
    import miniapps

    found = []
    for module in sorted(pkgutil.iter_modules(miniapps.__path__), key=lambda m: m.name):
        if module.ispkg and module.name not in _NOT_APPS:
            path = f"miniapps.{module.name}"
            found.append(
                Candidate(
                    module.name,
                    f"builtin {path}",
                    functools.partial(lambda p: importlib.import_module(p).miniapp, path),
                )
            )
    return found


def entry_point_candidates() -> list[Candidate]:
    return [
        Candidate(ep.name, f"entry point {ep.name} = {ep.value}", ep.load)
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    ]


def enabled_from_env(environ: Mapping[str, str]) -> frozenset[str] | None:
    """None means every installed mini-app."""
    value = environ.get("CITYBRAIN_MINIAPPS", "").strip()
    if value in ("", "all", "*"):
        return None
    if value == "none":
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def strict_from_env(environ: Mapping[str, str]) -> bool:
    value = environ.get("CITYBRAIN_MINIAPPS_STRICT", "").strip().lower()
    if value not in ("", "1", "0", "true", "false", "yes", "no"):
        raise RegistryError(f"CITYBRAIN_MINIAPPS_STRICT must be true or false, got {value!r}")
    return value in ("1", "true", "yes")


# Loading and checking -------------------------------------------------------------------------


def load_registry(
    candidates: Iterable[Candidate],
    *,
    enabled: frozenset[str] | None = None,
    strict: bool = False,
    environ: Mapping[str, str] | None = None,
    platform_version: str = PLATFORM_VERSION,
) -> Registry:
    environ = os.environ if environ is None else environ
    registry = Registry()
    seen: set[str] = set()
    for candidate in candidates:
        if enabled is not None and candidate.name not in enabled:
            continue
        seen.add(candidate.name)
        try:
            loaded = _load(candidate, environ, platform_version)
            if loaded.manifest.slug in registry.apps:
                raise ValueError(
                    f"slug {loaded.manifest.slug!r} is already taken by "
                    f"{registry.apps[loaded.manifest.slug].source}"
                )
            registry.apps[loaded.manifest.slug] = loaded
        except Exception as exc:  # any failure of a third-party package is reported alone
            registry.failures.append(LoadFailure(candidate.source, _reason(exc)))
    for missing in sorted((enabled or frozenset()) - seen):
        registry.failures.append(
            LoadFailure("CITYBRAIN_MINIAPPS", f"no mini-app named {missing!r} is installed")
        )
    for failure in registry.failures:
        log.error("mini-app left out: %s: %s", failure.source, failure.reason)
    if strict and registry.failures:
        first = registry.failures[0]
        raise RegistryError(f"mini-app failed to load ({first.source}): {first.reason}")
    return registry


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _load(candidate: Candidate, environ: Mapping[str, str], platform_version: str) -> LoadedMiniApp:
    from miniapps.sdk import MiniApp

    app = candidate.load()
    if not isinstance(app, MiniApp) and callable(app):
        app = app()
    if not isinstance(app, MiniApp):
        raise TypeError("not a MiniApp (export an InProcessMiniApp named `miniapp`)")
    # Re-decode so that the field constraints (slug pattern, scope names…) are enforced.
    manifest = msgspec.convert(msgspec.to_builtins(app.manifest), Manifest)
    if manifest.slug != candidate.name:
        raise ValueError(
            f"manifest slug {manifest.slug!r} differs from its name {candidate.name!r}"
        )
    check_manifest(manifest, platform_version)
    settings = {}
    for name in manifest.required_settings:
        variable = setting_variable(manifest.slug, name)
        if not environ.get(variable):
            raise ValueError(f"required setting {name!r} is missing: set {variable}")
        settings[name] = environ[variable]
    if app.piccolo_app:
        _check_tables(manifest.slug, app.piccolo_app)
    for job in app.jobs:
        if not callable(job.fn):
            raise TypeError("a job's fn must be an async function")
    mount = _mount(manifest.slug, app.router) if app.router is not None else None
    return LoadedMiniApp(manifest, app, candidate.source, settings, mount)


def _mount(slug: str, router: Router) -> Router:
    from litestar.di import Provide

    from miniapps.context import provide_context

    prefix = f"{MOUNT_PREFIX}/{slug}"
    mount = Router(
        path=prefix,
        route_handlers=[router],
        dependencies={"ctx": Provide(provide_context)},
        opt={"miniapp": slug},
        tags=[f"mini-app: {slug}"],
    )
    for route in mount.routes:
        first = route.path[len(prefix) :].strip("/").split("/")[0]
        if first in RESERVED_SEGMENTS:
            raise ValueError(f"route {route.path} uses a path the platform serves")
        if first.startswith("{"):
            raise ValueError(
                f"route {route.path} starts with a path parameter; put a fixed segment first"
            )
    return mount


def _check_tables(slug: str, module_path: str) -> None:
    config = importlib.import_module(module_path).APP_CONFIG
    prefix = slug.replace("-", "_") + "_"
    for table in config.table_classes:
        if not table._meta.tablename.startswith(prefix):
            raise ValueError(f"table {table._meta.tablename!r} must be named {prefix}…")
    if "miniapps.piccolo_app" in config.migration_dependencies:
        raise ValueError("a mini-app's migrations may not depend on the platform's")


_registry: Registry | None = None


def get_registry() -> Registry:
    """The registry of this process, loaded once from the installed packages and env."""
    global _registry
    if _registry is None:
        environ = os.environ
        _registry = load_registry(
            [*builtin_candidates(), *entry_point_candidates()],
            enabled=enabled_from_env(environ),
            strict=strict_from_env(environ),
            environ=environ,
        )
    return _registry

"""The registry: discovery, manifest checks, configuration, and failures left out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar import Router, get, post

from miniapps.manifest import ManifestError, version_in_range
from miniapps.registry import (
    Candidate,
    RegistryError,
    enabled_from_env,
    entry_point_candidates,
    get_registry,
    load_registry,
    strict_from_env,
)
from miniapps.sdk import InProcessMiniApp, Job, Manifest
from tests.helpers import Api, problem


@get("/ping")
async def ping() -> str:
    return "pong"


def _app(slug: str = "demo", **manifest: object) -> InProcessMiniApp:
    return InProcessMiniApp(
        manifest=Manifest(slug=slug, name="Demo", version="1.2.3", **manifest),  # type: ignore[arg-type]
        router=Router(path="/", route_handlers=[ping]),
    )


def _candidate(obj: object, name: str = "demo") -> Candidate:
    def load() -> object:
        return obj

    return Candidate(name, f"test {name}", load)


def _broken(exc: Exception, name: str = "broken") -> Candidate:
    def load() -> object:
        raise exc

    return Candidate(name, f"test {name}", load)


class TestLoading:
    def test_a_good_app_is_mounted_under_its_slug(self) -> None:
        registry = load_registry([_candidate(_app())])
        loaded = registry.get("demo")
        assert loaded is not None and loaded.manifest.version == "1.2.3"
        [mount] = registry.routers()
        assert [route.path for route in mount.routes] == ["/api/v1/miniapps/demo/ping"]
        assert registry.failures == []

    def test_a_factory_is_called(self) -> None:
        factory: Callable[[], InProcessMiniApp] = _app
        assert load_registry([_candidate(factory)]).get("demo") is not None

    @pytest.mark.parametrize(
        ("candidate", "reason"),
        [
            (_broken(ImportError("no module named foo")), "ImportError"),
            (_candidate(object()), "not a MiniApp"),
            (_candidate(_app(slug="Bad Slug"), "Bad Slug"), "Expected `str` matching regex"),
            (_candidate(_app(), "other"), "differs from its name"),
            (_candidate(_app(platform=">=2.0")), "needs platform >=2.0"),
            (_candidate(_app(platform="two please")), "platform range"),
            (_candidate(_app(scopes=("wallet.charge",))), "needs at least one charge mode"),
            (_candidate(_app(charge_modes=("hold",))), "need the wallet.charge scope"),
            (_candidate(_app(scopes=("nope",))), "Invalid enum value 'nope'"),
            (_candidate(_app(required_settings=("api_key",))), "CITYBRAIN_MINIAPP_DEMO_API_KEY"),
        ],
    )
    def test_a_bad_candidate_is_reported_and_left_out(
        self, candidate: Candidate, reason: str
    ) -> None:
        registry = load_registry([candidate, _candidate(_app("fine"), "fine")])
        assert registry.get("fine") is not None
        [failure] = registry.failures
        assert failure.source == candidate.source and reason in failure.reason
        assert candidate.name not in registry.apps or candidate.name == "fine"

    def test_strict_mode_makes_a_failure_fatal(self) -> None:
        with pytest.raises(RegistryError, match="ImportError"):
            load_registry([_broken(ImportError("x"))], strict=True)

    def test_a_duplicate_slug_keeps_the_first(self) -> None:
        first, second = _app(), _app()
        registry = load_registry([_candidate(first), _candidate(second)])
        assert registry.apps["demo"].app is first
        assert "already taken" in registry.failures[0].reason

    def test_required_settings_come_from_the_environment(self) -> None:
        app = _app(slug="my-app", required_settings=("api_key",))
        environ = {"CITYBRAIN_MINIAPP_MY_APP_API_KEY": "s3cret"}
        registry = load_registry([_candidate(app, "my-app")], environ=environ)
        assert registry.apps["my-app"].settings == {"api_key": "s3cret"}

    def test_routes_must_leave_the_platforms_paths_alone(self) -> None:
        @post("/grants")
        async def grants() -> None: ...

        @get("/{item_id:str}")
        async def item(item_id: str) -> str:
            return item_id

        for handler in (grants, item):
            app = InProcessMiniApp(
                manifest=Manifest(slug="demo", name="Demo", version="1"),
                router=Router(path="/", route_handlers=[handler]),
            )
            [failure] = load_registry([_candidate(app)]).failures
            assert "path" in failure.reason

    def test_tables_must_be_named_after_the_app(self) -> None:
        app = InProcessMiniApp(
            manifest=Manifest(slug="demo", name="Demo", version="1"),
            piccolo_app="hello_miniapp.piccolo_app",
        )
        [failure] = load_registry([_candidate(app)]).failures
        assert "hello_visit" in failure.reason and "demo_" in failure.reason

    def test_jobs_are_registered_with_an_app_context(self) -> None:
        from app.jobs import PERIODIC, TASKS, task_name

        async def tidy_up(ctx: object, **kwargs: object) -> None:
            return None

        tidy_up.__module__ = "tests.miniapps.registry_jobs"
        app = InProcessMiniApp(
            manifest=Manifest(slug="demo", name="Demo", version="1"), jobs=(Job(tidy_up, 3600),)
        )
        registry = load_registry([_candidate(app)])
        registry.register_jobs()
        name = task_name(tidy_up)
        try:
            assert TASKS[name] is not tidy_up and PERIODIC[name].every == 3600
        finally:
            TASKS.pop(name, None)
            PERIODIC.pop(name, None)


class TestConfiguration:
    def test_enabled_list(self) -> None:
        assert enabled_from_env({}) is None
        assert enabled_from_env({"CITYBRAIN_MINIAPPS": "all"}) is None
        assert enabled_from_env({"CITYBRAIN_MINIAPPS": "none"}) == frozenset()
        assert enabled_from_env({"CITYBRAIN_MINIAPPS": "hotel, park"}) == {"hotel", "park"}

    def test_only_enabled_apps_are_loaded_and_a_missing_one_is_reported(self) -> None:
        never_loaded = _broken(AssertionError("a disabled app is not even imported"), "other")
        registry = load_registry(
            [_candidate(_app()), never_loaded], enabled=frozenset({"demo", "ghost"})
        )
        assert list(registry.apps) == ["demo"]
        [failure] = registry.failures
        assert failure.source == "CITYBRAIN_MINIAPPS" and "'ghost'" in failure.reason

    def test_strict_flag(self) -> None:
        assert strict_from_env({"CITYBRAIN_MINIAPPS_STRICT": "true"}) is True
        assert strict_from_env({}) is False
        with pytest.raises(RegistryError):
            strict_from_env({"CITYBRAIN_MINIAPPS_STRICT": "maybe"})


class TestDiscovery:
    def test_the_example_is_found_through_its_entry_point(self) -> None:
        [hello] = [c for c in entry_point_candidates() if c.name == "hello"]
        assert hello.source == "entry point hello = hello_miniapp:miniapp"
        loaded = get_registry().get("hello")
        assert loaded is not None and loaded.source == hello.source
        assert "hello_miniapp.piccolo_app" in get_registry().piccolo_apps()


class TestVersionRanges:
    @pytest.mark.parametrize(
        ("version", "spec", "ok"),
        [
            ("1.0.0", ">=1.0,<2", True),
            ("2.0.0", ">=1.0,<2", False),
            ("1.4.2", "==1.4.2", True),
            ("1.4.2", "!=1.4.2", False),
            ("1.10.0", ">1.9", True),
            ("1.0.0-rc1", "<=1", True),
        ],
    )
    def test_ranges(self, version: str, spec: str, ok: bool) -> None:
        assert version_in_range(version, spec) is ok

    def test_malformed(self) -> None:
        with pytest.raises(ManifestError):
            version_in_range("1.0.0", "~1.0")


class TestRegistryEndpoint:
    async def test_platform_admins_see_what_loaded_and_what_was_left_out(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.get("/api/v1/admin/miniapps/registry", headers=admin.headers)
        assert response.status_code == 200, response.text
        loaded = {entry["slug"]: entry for entry in response.json()["loaded"]}
        assert loaded["hello"]["source"] == "entry point hello = hello_miniapp:miniapp"
        assert isinstance(response.json()["failed"], list)

    async def test_others_are_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        url = "/api/v1/admin/miniapps/registry"
        problem(await api.client.get(url, headers=citizen.headers), 403, "forbidden")
        problem(await api.client.get(url), 401, "unauthorized")

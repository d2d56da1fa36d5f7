"""Observability: /metrics, request ids, log lines without personal data, OpenTelemetry spans."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

import app.metrics
import app.observability
from app import health, logs, observability
from app.jobs import TASKS, run_timed
from app.settings import get_settings
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import ADMIN_PHONE, Api, problem

HEX_ID = re.compile(r"[0-9a-f]{32}")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def exposition_value(text: str, name: str, **labels: str) -> float | None:
    """A sample's value as Prometheus would read it from the served text."""
    for line in text.splitlines():
        matched = re.fullmatch(re.escape(name) + r"\{(.*)\} (\S+)", line)
        if matched is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', matched.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(matched.group(2))
    return None


@pytest.fixture
def settings_with(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Replace fields of the settings the observability code reads, for one test."""

    def apply(**fields: Any) -> None:
        changed = msgspec.structs.replace(get_settings(), **fields)
        monkeypatch.setattr(app.metrics, "get_settings", lambda: changed)
        monkeypatch.setattr(app.observability, "get_settings", lambda: changed)

    return apply


class TestMetrics:
    async def test_served_as_prometheus_text(self, api: Api) -> None:
        await api.client.get("/health/live")
        response = await api.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        assert "# TYPE citybrain_requests_total counter" in response.text
        assert "# TYPE citybrain_request_duration_seconds histogram" in response.text
        live = exposition_value(
            response.text, "citybrain_requests_total", path="/health/live", method="GET"
        )
        assert live is not None and live >= 1

    async def test_a_scan_moves_the_scan_counter(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate("metro")
        code = await fresh_code(api, citizen)
        before = (await api.client.get("/metrics")).text
        passed = exposition_value(
            before, "citybrain_gate_scans_total", source="code", result="pass", reason=""
        )
        route = {"path": "/api/v1/gate/scans", "method": "POST", "status_code": "200"}
        requests = exposition_value(before, "citybrain_requests_total", **route)
        assert (await scan(api, gate, code))["result"] == "pass"
        bogus = await api.client.post(
            "/api/v1/gate/scans", json={"code": "CB1:nope.nope.nope"}, headers=gate.headers
        )
        assert bogus.json()["result"] == "deny"
        after = (await api.client.get("/metrics")).text
        assert (
            exposition_value(
                after, "citybrain_gate_scans_total", source="code", result="pass", reason=""
            )
            == (passed or 0) + 1
        )
        assert exposition_value(after, "citybrain_requests_total", **route) == (requests or 0) + 2
        denied = exposition_value(
            after,
            "citybrain_gate_scans_total",
            source="code",
            result="deny",
            reason=bogus.json()["reason"],
        )
        assert denied is not None and denied >= 1

    async def test_offline_and_id_card_scans_count_by_source(self, api: Api) -> None:
        from tests.healthcode.test_scans import item

        gate = await api.gate("metro")
        citizen, _ = await declared(api)
        code = await fresh_code(api, citizen)
        offline = {"source": "offline", "result": "deny", "reason": "colour_green"}
        unknown = {"source": "id_card", "result": "deny", "reason": "unknown_person"}
        before = (
            sample("citybrain_gate_scans_total", **offline),
            sample("citybrain_gate_scans_total", **unknown),
        )
        batch = [item(code, result="deny"), item("CB1:forged")]
        response = await api.client.post(
            "/api/v1/gate/scans/offline", json={"scans": batch * 2}, headers=gate.headers
        )
        assert response.json()["accepted"] == 1  # the forged one and the repeat: not recorded
        card = await api.client.post(
            "/api/v1/gate/scans/id-card",
            json={"id_number": "11010519491231002X"},
            headers=gate.headers,
        )
        assert card.json()["reason"] == "unknown_person"
        assert sample("citybrain_gate_scans_total", **offline) == before[0] + 1
        assert sample("citybrain_gate_scans_total", **unknown) == before[1] + 1

    async def test_labels_carry_route_templates_not_ids(self, api: Api) -> None:
        gate = await api.gate("metro")  # POST /api/v1/admin/venues/<id>/gates
        text = (await api.client.get("/metrics")).text
        assert gate.venue_id not in text and gate.gate_id not in text
        assert exposition_value(
            text,
            "citybrain_requests_total",
            path="/api/v1/admin/venues/{venue_id}/gates",
            method="POST",
            status_code="201",
        )
        paths = set(re.findall(r'path="([^"]*)"', text))
        assert paths and all(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", p) is None for p in paths)

    async def test_outbox_depth_is_read_at_scrape_time(self, api: Api) -> None:
        from tests.app.portal import db_fetch

        await db_fetch(
            api.client,
            "INSERT INTO outbox_event (id, kind, citizen_id, miniapp, title, body, data, urgent, "
            "status, attempts, next_attempt_at, last_error, created_at, dispatched_at) VALUES "
            "('obs-test-event', 'test.kind', NULL, NULL, 't', 'b', '{}', false, 'pending', 0, "
            "'2000-01-01T00:00:00+00:00', NULL, '2000-01-01T00:00:00+00:00', NULL)",
        )
        try:
            text = (await api.client.get("/metrics")).text
            pending = exposition_value(text, "citybrain_outbox_pending", table="events")
            assert pending is not None and pending >= 1
            oldest = exposition_value(text, "citybrain_outbox_oldest_pending_seconds")
            assert oldest is None  # unlabelled: read it by name alone
            line = next(
                ln for ln in text.splitlines() if ln.startswith("citybrain_outbox_oldest_pending")
            )
            assert float(line.split()[1]) > 365 * 24 * 3600
        finally:
            await db_fetch(api.client, "DELETE FROM outbox_event WHERE id = 'obs-test-event'")
        text = (await api.client.get("/metrics")).text
        assert exposition_value(text, "citybrain_outbox_pending", table="deliveries") is not None

    async def test_job_run_time_by_name_and_outcome(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def fine() -> None:
            return None

        async def broken() -> None:
            raise RuntimeError("boom")

        monkeypatch.setitem(TASKS, "tests.obs.fine", fine)
        monkeypatch.setitem(TASKS, "tests.obs.broken", broken)
        count = "citybrain_job_duration_seconds_count"
        ok_before = sample(count, job="tests.obs.fine", outcome="ok")
        await run_timed("tests.obs.fine", {})
        with pytest.raises(RuntimeError):
            await run_timed("tests.obs.broken", {})
        assert sample(count, job="tests.obs.fine", outcome="ok") == ok_before + 1
        assert sample(count, job="tests.obs.broken", outcome="error") >= 1


class TestMetricsToken:
    TOKEN = "metrics-operator-token-0123456789"

    async def test_open_without_a_configured_token(self, api: Api, settings_with: Any) -> None:
        settings_with(metrics_token="")
        assert (await api.client.get("/metrics")).status_code == 200

    async def test_the_configured_bearer_token_reads(self, api: Api, settings_with: Any) -> None:
        settings_with(metrics_token=self.TOKEN)
        response = await api.client.get(
            "/metrics", headers={"Authorization": f"Bearer {self.TOKEN}"}
        )
        assert response.status_code == 200
        assert "citybrain_requests_total" in response.text

    @pytest.mark.parametrize(
        "authorization",
        [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"],
    )
    async def test_anyone_else_is_refused(
        self, api: Api, settings_with: Any, authorization: str | None
    ) -> None:
        settings_with(metrics_token=self.TOKEN)
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = await api.client.get("/metrics", headers=headers)
        body = problem(response, 401, "unauthorized")
        assert "citybrain_" not in response.text and self.TOKEN not in json.dumps(body)
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_a_citizen_token_does_not_read_metrics(
        self, api: Api, settings_with: Any
    ) -> None:
        settings_with(metrics_token=self.TOKEN)
        citizen = await api.citizen()
        problem(await api.client.get("/metrics", headers=citizen.headers), 401, "unauthorized")

    async def test_left_out_of_the_openapi_document(self, api: Api) -> None:
        schema = (await api.client.get("/schema/openapi.json")).json()
        assert "/metrics" not in schema["paths"]


class TestRequestId:
    async def test_the_callers_id_comes_back(self, api: Api) -> None:
        response = await api.client.get("/health/live", headers={"X-Request-Id": "gate-7:abc.1"})
        assert response.headers["x-request-id"] == "gate-7:abc.1"

    async def test_one_is_made_when_none_is_given(self, api: Api) -> None:
        first = await api.client.get("/health/live")
        second = await api.client.get("/health/live")
        assert HEX_ID.fullmatch(first.headers["x-request-id"])
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    @pytest.mark.parametrize(
        "bad",
        [
            "x" * 65,  # too long
            "has space",
            "semi;colon",
            "-leading-dash",
            "ünïcode".encode(),  # not ASCII
            ADMIN_PHONE,  # shaped like a phone number: never echoed into logs
            "11010519491231002X",  # shaped like an ID number
        ],
    )
    async def test_a_bad_one_is_replaced(self, api: Api, bad: str | bytes) -> None:
        response = await api.client.get("/health/live", headers={"X-Request-Id": bad})
        assert response.status_code == 200
        assert HEX_ID.fullmatch(response.headers["x-request-id"])

    async def test_on_a_404_problem_of_an_unknown_path(self, api: Api) -> None:
        response = await api.client.get("/no/such/path", headers={"X-Request-Id": "rid-404"})
        problem(response, 404, "not_found")
        assert response.headers["x-request-id"] == "rid-404"

    async def test_on_errors_of_a_known_route(self, api: Api) -> None:
        gate = await api.gate("metro")
        response = await api.client.post(
            "/api/v1/gate/scans", json={"code": 7}, headers={**gate.headers, "X-Request-Id": "r1"}
        )
        assert response.status_code == 422
        assert response.headers["x-request-id"] == "r1"
        unauthenticated = await api.client.get("/api/v1/me", headers={"X-Request-Id": "r2"})
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["x-request-id"] == "r2"


class TestLogs:
    async def test_a_request_log_line_carries_its_id_and_no_personal_data(
        self, api: Api, settings_with: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings_with(access_log=True)
        admin = await api.admin()
        citizen = await api.citizen()
        caplog.set_level(logging.INFO, logger="citybrain")
        response = await api.client.get(
            "/api/v1/admin/citizens",
            params={"phone": citizen.phone},
            headers={**admin.headers, "X-Request-Id": "lookup-42"},
        )
        assert response.status_code == 200, response.text
        mine = [r for r in caplog.records if getattr(r, "request_id", None) == "lookup-42"]
        assert mine, "the request logged no line with its id"
        access = [r for r in mine if r.name == "citybrain.access"]
        assert len(access) == 1 and access[0].route == "/api/v1/admin/citizens"  # type: ignore[attr-defined]
        formatter = logs.JsonFormatter()
        for record in mine:
            line = formatter.format(record)
            assert json.loads(line)["request_id"] == "lookup-42"
            for secret in (citizen.phone, admin.access_token, citizen.id_number or "-"):
                assert secret not in line
        assert access[0].status == 200  # type: ignore[attr-defined]

    async def test_an_unhandled_error_logs_with_the_id_and_answers_with_it(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        from litestar import get
        from litestar.params import FromPath

        from app.errors import exception_handlers

        @get("/boom/{citizen_id:str}", sync_to_thread=False)
        def boom(citizen_id: FromPath[str]) -> None:
            raise KeyError("13800000001")  # an exception that carries a phone number

        failing = Litestar(
            route_handlers=[boom],
            exception_handlers=exception_handlers,
            plugins=[observability.ObservabilityPlugin()],
            logging_config=None,
        )
        caplog.set_level(logging.INFO, logger="citybrain")
        async with AsyncTestClient(app=failing) as client:
            response = await client.get("/boom/cid-7f3q9", headers={"X-Request-Id": "boom-1"})
        problem(response, 500, "internal_error")
        assert response.headers["x-request-id"] == "boom-1"
        route = {"method": "GET", "path": "/boom/{citizen_id}", "status_code": "500"}
        assert sample("citybrain_requests_error_total", app_name="citybrain", **route) >= 1
        assert "cid-7f3q9" not in json.dumps(list(REGISTRY.collect()), default=str)
        [record] = [r for r in caplog.records if r.name == "citybrain.errors"]
        assert record.request_id == "boom-1"  # type: ignore[attr-defined]
        line = logs.JsonFormatter().format(record)
        assert "KeyError" in json.loads(line)["exc"] and "13800000001" not in line

    async def test_no_request_id_outside_a_request(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="citybrain")
        logging.getLogger("citybrain.test").info("between requests")
        assert caplog.records[-1].request_id is None  # type: ignore[attr-defined]

    def test_json_lines_redact_phones_id_numbers_and_tokens(self) -> None:
        token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        record = logging.LogRecord(
            "citybrain.x",
            logging.WARNING,
            __file__,
            1,
            "login %s id %s auth %s bearer %s",
            ("13800000001", "11010519491231002X", f"Bearer {token}", token),
            None,
        )
        record.request_id = "rid-1"
        record.phone_hint = "+8613900000002"
        line = json.loads(logs.JsonFormatter().format(record))
        assert line["request_id"] == "rid-1" and line["level"] == "warning"
        text = json.dumps(line)
        for secret in ("13800000001", "11010519491231002X", token, "13900000002"):
            assert secret not in text
        assert "[phone]" in line["message"] and "[id-number]" in line["message"]
        assert "order 20261207123456" in logs.redact("order 20261207123456")  # 14 digits: kept

    def test_text_lines_for_dev_carry_the_id(self) -> None:
        record = logging.LogRecord("citybrain.x", logging.INFO, __file__, 1, "hi", None, None)
        record.request_id = "rid-2"
        assert "[rid-2] hi" in logs.TextFormatter().format(record)

    def test_format_follows_the_setting(self) -> None:
        base = get_settings()
        assert msgspec.structs.replace(base, env="production", log_format="").json_logs
        assert not msgspec.structs.replace(base, env="dev", log_format="").json_logs
        assert msgspec.structs.replace(base, env="dev", log_format="json").json_logs

    def test_configure_logging_installs_one_handler(self) -> None:
        root = logging.getLogger()
        before, level = list(root.handlers), root.level
        try:
            settings = msgspec.structs.replace(get_settings(), log_format="json")
            logs.configure_logging(settings)
            logs.configure_logging(settings)
            ours = [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]
            assert len(ours) == 1 and isinstance(ours[0].formatter, logs.JsonFormatter)
        finally:
            root.handlers[:] = before
            root.setLevel(level)


class TestTracing:
    @pytest.fixture
    def exporter(self) -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        yield exporter, provider
        provider.shutdown()

    async def test_a_span_per_request_named_by_route(self, exporter: Any) -> None:
        spans, provider = exporter
        traced = Litestar(
            route_handlers=[*health.route_handlers],
            plugins=[observability.ObservabilityPlugin(tracer_provider=provider)],
            logging_config=None,
        )
        async with AsyncTestClient(app=traced) as client:
            first = await client.get("/health/live?phone=13800000001")
            await client.get("/health/live", headers={"X-Request-Id": "traced-1"})
        finished = spans.get_finished_spans()
        assert [s.name for s in finished] == ["GET /health/live", "GET /health/live"]
        assert finished[0].attributes["http.route"] == "/health/live"
        assert finished[0].attributes["citybrain.request_id"] == first.headers["x-request-id"]
        assert finished[1].attributes["citybrain.request_id"] == "traced-1"
        everything = json.dumps([dict(s.attributes or {}) for s in finished])
        assert "13800000001" not in everything and "phone=" not in everything
        assert str(finished[0].attributes["http.url"]).endswith("/health/live")

    def test_off_by_default(self, api: Api) -> None:
        assert not observability.tracing_requested({})
        with pytest.raises(KeyError):
            api.client.app.plugins.get(OpenTelemetryPlugin)

    @pytest.mark.parametrize(
        ("environ", "on"),
        [
            ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
            ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
            ({"OTEL_TRACES_EXPORTER": "console"}, True),
            ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, False),
            ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
            ({"OTEL_SERVICE_NAME": "citybrain"}, False),
        ],
    )
    def test_switched_on_by_the_standard_variables(self, environ: dict[str, str], on: bool) -> None:
        assert observability.tracing_requested(environ) is on

    def test_the_variables_build_the_exporters(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        monkeypatch.setattr(trace, "set_tracer_provider", lambda provider: None)
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console,otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "citybrain-test")
        provider = observability.tracer_provider_from_env()
        try:
            processors = provider._active_span_processor._span_processors
            kinds = {type(p.span_exporter) for p in processors}
            assert kinds == {ConsoleSpanExporter, OTLPSpanExporter}
            assert provider.resource.attributes["service.name"] == "citybrain-test"
        finally:
            provider.shutdown()

    def test_the_plugin_traces_when_the_variables_ask(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
        built: list[TracerProvider] = []

        def fake() -> TracerProvider:
            built.append(TracerProvider())
            return built[-1]

        monkeypatch.setattr(observability, "tracer_provider_from_env", fake)
        traced = Litestar(
            route_handlers=[*health.route_handlers],
            plugins=[observability.ObservabilityPlugin()],
            logging_config=None,
        )
        assert len(built) == 1
        assert isinstance(traced.plugins.get(OpenTelemetryPlugin), OpenTelemetryPlugin)


class TestSeveralProcesses:
    INCREMENT = (
        "import sys; from app import metrics; metrics.count_scan('code', 'pass', ''); "
        "metrics.OUTBOX_OLDEST.set(float(sys.argv[1]))"
    )
    SERVE = (
        "from litestar import Litestar; from litestar.testing import TestClient; "
        "from app.metrics import MetricsController\n"
        "MetricsController.before_request = None  # no database here: serve what the files hold\n"
        "with TestClient(Litestar([MetricsController], logging_config=None)) as client:\n"
        "    print(client.get('/metrics').text)"
    )

    def test_metrics_add_up_over_processes_in_multiprocess_mode(self, tmp_path: Any) -> None:
        import os
        import subprocess
        import sys

        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
        for oldest in ("5", "7"):  # two app processes, one after the other
            subprocess.run(  # noqa: S603 (our interpreter, our script)
                [sys.executable, "-c", self.INCREMENT, oldest], env=env, check=True, timeout=60
            )
        served = subprocess.run(  # noqa: S603
            [sys.executable, "-c", self.SERVE],
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        ).stdout
        scans = exposition_value(
            served, "citybrain_gate_scans_total", source="code", result="pass", reason=""
        )
        assert scans == 2.0
        assert "citybrain_outbox_oldest_pending_seconds 7.0" in served  # the most recent value


class TestSettings:
    def test_observability_variables(self) -> None:
        from app.settings import settings_from_env

        settings = settings_from_env(
            {
                "CITYBRAIN_LOG_FORMAT": "TEXT",
                "CITYBRAIN_LOG_LEVEL": "warning",
                "CITYBRAIN_ACCESS_LOG": "true",
                "CITYBRAIN_METRICS_TOKEN": "tok",
            }
        )
        assert (settings.log_format, settings.log_level) == ("text", "WARNING")
        assert settings.access_log and settings.metrics_token == "tok"
        assert not settings.json_logs

    @pytest.mark.parametrize(
        ("var", "value"),
        [
            ("CITYBRAIN_LOG_FORMAT", "xml"),
            ("CITYBRAIN_LOG_LEVEL", "loud"),
            ("CITYBRAIN_ACCESS_LOG", "sometimes"),
        ],
    )
    def test_a_bad_value_names_its_variable(self, var: str, value: str) -> None:
        from app.settings import SettingsError, settings_from_env

        with pytest.raises(SettingsError, match=var):
            settings_from_env({var: value})

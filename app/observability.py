"""What an operator sees: request ids, Prometheus metrics, access logs, OpenTelemetry traces.

`ObservabilityPlugin` registers it all on the app:
- `X-Request-Id`: a caller's id is kept when it is short and of a safe charset (else a new one
  is made); it is on every response, errors and unknown paths included, and on every log
  record made while the request runs (`app.logs`);
- `/metrics` and the request metrics (`app.metrics`);
- one access-log line a request when CITYBRAIN_ACCESS_LOG is on: method, route template,
  status and duration (never the raw path or query string, which may carry personal data);
- OpenTelemetry spans, only when the standard `OTEL_*` variables ask for an exporter.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any

from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app import logs, metrics
from app.settings import get_settings

access_log = logging.getLogger("citybrain.access")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_SCOPE_KEY = "citybrain.request_id"
_STATUS_KEY = "citybrain.status"


def _caller_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            try:
                given = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            # A safe, short id, and not one that looks like a phone or ID number.
            if _SAFE_ID.fullmatch(given) and logs.redact(given) == given:
                return given
            return None
    return None


def request_id_of(scope: Scope) -> str:
    """The request's id: the caller's if acceptable, else a new one (kept on the scope)."""
    state = scope.setdefault("state", {})
    found: str | None = state.get(_SCOPE_KEY)
    if found is None:
        found = _caller_id(scope) or os.urandom(16).hex()
        state[_SCOPE_KEY] = found
    return found


async def add_request_id(message: Message, scope: Scope) -> None:
    """`before_send`: every response says its request id, whatever produced it (and its
    status is noted for the request middleware, which need not wrap `send` then)."""
    if message["type"] == "http.response.start":
        scope["state"][_STATUS_KEY] = message["status"]
        value = request_id_of(scope).encode()
        headers = message.get("headers")
        if isinstance(headers, list):  # Litestar's own responses: a list of byte pairs
            headers.append((b"x-request-id", value))
        else:
            MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = value.decode()


Children = tuple[Any, Any, Any]  # request counter, duration histogram, error counter (or None)


class RequestMiddleware:
    """Route-level, one layer for all of it: the request id in the log context, the request
    metrics, the span named by route, the access log.

    The request metrics are Litestar's `PrometheusMiddleware`'s (its metrics, names and labels,
    made by it), counted more cheaply: it builds a `Request` and looks four label sets up on
    every request (measured: 31 µs on a 20 µs `/health/live`); here the labelled children are
    kept per route and status, in a plain ASGI class (an `AbstractMiddleware` subclass pays
    for its exclusion check on every call)."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig, tracing: bool = False) -> None:
        self.app = app
        self._config = config
        self._stock = PrometheusMiddleware(app, config)  # owns the metric objects
        self.tracing = tracing
        self._progress: dict[tuple[str, str], Any] = {}
        self._children: dict[tuple[str, str, int], Children] = {}

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        return {
            "method": method,
            "path": path,
            "status_code": status,
            "app_name": self._config.app_name,
        }

    def _in_progress(self, method: str, path: str) -> Any:
        gauge = self._progress.get((method, path))
        if gauge is None:
            labels = self._labels(method, path, 200)
            gauge = self._stock.requests_in_progress(labels).labels(*labels.values())
            self._progress[(method, path)] = gauge
        return gauge

    def _finished(self, method: str, path: str, status: int) -> Children:
        children = self._children.get((method, path, status))
        if children is None:
            labels = self._labels(method, path, status)
            values = [*labels.values()]
            errors = (
                self._stock.requests_error_count(labels).labels(*values) if status >= 500 else None
            )
            children = (
                self._stock.request_count(labels).labels(*values),
                self._stock.request_time(labels).labels(*values),
                errors,
            )
            self._children[(method, path, status)] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rid = request_id_of(scope)
        token = logs.request_id.set(rid)
        method = str(scope.get("method") or scope["type"])
        path = scope.get("path_template", "")
        if self.tracing:
            _name_span(scope, rid)
        progress = self._in_progress(method, path)
        progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            duration = time.perf_counter() - started
            progress.dec()
            status = scope["state"].get(_STATUS_KEY, 200)  # noted by `add_request_id`
            count, latency, errors = self._finished(method, path, status)
            count.inc()
            latency.observe(duration)
            if errors is not None:
                errors.inc()
            if get_settings().access_log and scope["type"] == ScopeType.HTTP:
                access_log.info(
                    "%s %s %d",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "route": path,
                        "status": status,
                        "duration_ms": round(duration * 1000, 2),
                    },
                )
            logs.request_id.reset(token)


# OpenTelemetry -------------------------------------------------------------------------------


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Tracing is on when the standard variables name an exporter or an OTLP endpoint."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters == "none":
        return False
    return bool(
        exporters
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def tracer_provider_from_env() -> Any:
    """A TracerProvider with the exporters OTEL_TRACES_EXPORTER names (default otlp, over
    HTTP/protobuf); the SDK itself reads the other OTEL_* variables (sampler, batch, service
    name, resource attributes, endpoint, headers)."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "citybrain"}
    provider = TracerProvider(resource=Resource.create(attributes))
    names = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            logging.getLogger("citybrain").warning("unknown OTEL_TRACES_EXPORTER %r", name)
    trace.set_tracer_provider(provider)
    return provider


def _span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    # Named again by route once routed (`_name_span`): never by the raw path, which has ids.
    return str(scope.get("method", "") or scope.get("type", "")), {}


def _scrub_span(span: Any, scope: Mapping[str, Any]) -> None:
    """Keep query strings out of the span: they may carry personal data."""
    if span.is_recording() and scope.get("query_string"):
        present = getattr(span, "attributes", None) or {}
        for key in ("http.url", "url.full", "http.target"):
            if isinstance(present.get(key), str):
                span.set_attribute(key, present[key].split("?", 1)[0])
        if "url.query" in present:
            span.set_attribute("url.query", "[redacted]")


def _name_span(scope: Scope, rid: str) -> None:
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        route = scope.get("path_template", "")
        span.update_name(f"{scope.get('method', scope['type'])} {route}".strip())
        span.set_attribute("http.route", route)
        span.set_attribute("citybrain.request_id", rid)


def tracing_middleware(tracer_provider: Any) -> Any:
    from litestar.plugins.opentelemetry import OpenTelemetryConfig

    config = OpenTelemetryConfig(
        tracer_provider=tracer_provider,
        scope_span_details_extractor=_span_details,
        server_request_hook_handler=_scrub_span,
        exclude_spans=["receive", "send"],
    )
    return config.middleware


# The plugin ----------------------------------------------------------------------------------


class ObservabilityPlugin(InitPlugin):
    """Registers the request id, `/metrics`, request metrics and (if asked for) tracing.

    `tracer_provider`: use this one instead of what the OTEL_* variables describe (tests)."""

    def __init__(self, tracer_provider: Any = None) -> None:
        super().__init__()
        self.tracer_provider = tracer_provider

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers = [*app_config.route_handlers, metrics.MetricsController]
        app_config.before_send = [*app_config.before_send, add_request_id]
        app_config.on_shutdown = [*app_config.on_shutdown, metrics.process_done]
        provider = self.tracer_provider
        if provider is None and tracing_requested():
            provider = tracer_provider_from_env()
            # Flush what is batched when the app stops (the SDK's own atexit hook comes too
            # late under uvicorn: spans of the last seconds were lost).
            app_config.on_shutdown = [*app_config.on_shutdown, provider.shutdown]
        middleware: list[Any] = [
            DefineMiddleware(
                RequestMiddleware, config=metrics.prometheus_config, tracing=provider is not None
            )
        ]
        if provider is not None:
            middleware.append(tracing_middleware(provider))
        app_config.middleware = [*middleware, *app_config.middleware]
        metrics.warn_if_open()
        return app_config

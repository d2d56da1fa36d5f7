"""Prometheus metrics: every definition in one place, served at `/metrics`.

Request rate and latency come from Litestar's Prometheus middleware, labelled by route
template (`/api/v1/venues/{venue_id:str}`), never by raw path, so no id becomes a label.
Domains count their outcomes here at the point the outcome is known: a scan once its record
committed, money once its transaction committed (`after_commit`), a delivery once its try was
recorded. Labels take values from small fixed sets (results, reasons, problem codes, job
names): nothing personal, nothing unbounded.

Several app processes: set `PROMETHEUS_MULTIPROC_DIR` (an empty directory, the same for every
process on the host, set before the process starts) and any process's `/metrics` serves the
sum over all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter, Gauge, Histogram

from app.errors import Unauthorized
from app.settings import get_settings

log = logging.getLogger("citybrain.metrics")

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]

# HTTP: citybrain_requests_total, citybrain_request_duration_seconds,
# citybrain_requests_in_progress, citybrain_requests_error_total; labels method, path (the
# route template), status_code, app_name.
prometheus_config = PrometheusConfig(
    app_name="citybrain",
    prefix="citybrain",
    group_path=True,
    buckets=LATENCY_BUCKETS,  # type: ignore[arg-type]
)

# Health code ---------------------------------------------------------------------------------
SCANS = Counter(
    "citybrain_gate_scans",
    "Gate scans recorded (committed), by source (code, id_card, offline), result and reason",
    ["source", "result", "reason"],
)

# Wallet ----------------------------------------------------------------------------------------
WALLET_OPERATIONS = Counter(
    "citybrain_wallet_operations",
    "Wallet operations (hold, capture, void, expire, charge, refund, repay) by outcome: "
    "ok once committed, else the problem code",
    ["operation", "outcome"],
)
WALLET_AMOUNT = Counter(
    "citybrain_wallet_amount_fen",
    "Fen moved by committed wallet operations",
    ["operation"],
)

# Notifications ---------------------------------------------------------------------------------
DELIVERIES = Counter(
    "citybrain_notification_deliveries",
    "Delivery tries by channel (sms, push, webhook, app) and status "
    "(sent, retry, failed: refused, dead: out of tries)",
    ["channel", "status"],
)
DISPATCH_FAILURES = Counter(
    "citybrain_outbox_dispatch_failures",
    "Outbox events whose fan-out failed (left pending with a backoff)",
)
OUTBOX_PENDING = Gauge(
    "citybrain_outbox_pending",
    "Outbox events and deliveries waiting to be sent (read from the database at scrape time)",
    ["table"],
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "citybrain_outbox_oldest_pending_seconds",
    "Age of the oldest pending outbox event (0 when none); read at scrape time",
    multiprocess_mode="mostrecent",
)

# Jobs ------------------------------------------------------------------------------------------
JOB_DURATION = Histogram(
    "citybrain_job_duration_seconds",
    "Run time of one job attempt, by job name and outcome (ok, error)",
    ["job", "outcome"],
    buckets=LATENCY_BUCKETS + [30.0, 60.0, 300.0],
)

JOBS_NOT_QUEUED = Counter(
    "citybrain_jobs_not_queued",
    "Jobs queued after a commit that the queue did not take (Redis down): the outbox "
    "sweeper and the scheduler queue their work again",
    ["job"],
)


def count_scan(source: str, result: str, reason: str | None) -> None:
    SCANS.labels(source, result, reason or "").inc()


def wallet_done(operation: str, amount: int) -> Callable[[], Awaitable[None]]:
    """An after-commit hook that counts a committed wallet operation and its amount."""

    async def hook() -> None:
        WALLET_OPERATIONS.labels(operation, "ok").inc()
        if amount:
            WALLET_AMOUNT.labels(operation).inc(amount)

    return hook


def wallet_refused(operation: str, code: str) -> None:
    WALLET_OPERATIONS.labels(operation, code).inc()


# /metrics --------------------------------------------------------------------------------------

Refresher = Callable[[], Awaitable[None]]


async def _refresh_gauges(_: Any) -> None:
    """Gauges read from the database are set just before a scrape (domains' `on_metrics`)."""
    from app import domains

    for hook in domains.lifecycle_hooks("on_metrics"):
        try:
            await hook()
        except Exception as exc:  # a scrape still serves what it has
            log.warning("metrics refresh failed: %s", type(exc).__name__)


def may_read_metrics(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """With CITYBRAIN_METRICS_TOKEN set, `/metrics` wants it as a bearer token; else open."""
    expected = get_settings().metrics_token
    if not expected:
        return
    scheme, _sep, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise Unauthorized(
            "Metrics need the operator's bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


class MetricsController(PrometheusController):
    """Prometheus text exposition (not part of the API: left out of the OpenAPI document)."""

    path = "/metrics"
    include_in_schema = False
    guards = [may_read_metrics]
    before_request = staticmethod(_refresh_gauges)


def process_done() -> None:
    """On shutdown, in multiprocess mode: drop this process's live gauges (in progress)."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def warn_if_open() -> None:
    settings = get_settings()
    if settings.env == "production" and not settings.metrics_token:
        log.warning(
            "CITYBRAIN_METRICS_TOKEN is unset: /metrics is open; keep it off the public proxy"
        )

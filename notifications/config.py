"""Tunables of delivery, read once from the environment (documented in docs/notifications.md).

They live here rather than in app.settings because only this package reads them; tests
that run in-process may replace them with `set_config`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

QUIET_ZONE = ZoneInfo("Asia/Shanghai")
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)

# Which events also go out as a text message (SMS costs money; push is free).
SMS_KINDS = frozenset(
    {"healthcode.colour_changed", "wallet.due", "wallet.overdue", "wallet.suspended"}
)
# Which events an external mini-app receives as a signed webhook (API.md).
WEBHOOK_KINDS = frozenset(
    {"grant.revoked", "hold.captured", "hold.voided", "hold.expired", "refund.created"}
)


class NotifyConfig(msgspec.Struct, frozen=True, kw_only=True):
    retry_base_seconds: float = 10.0  # first retry delay; doubles each try
    retry_max_delay: float = 3600.0
    max_tries: int = 8  # then the event or delivery becomes a dead letter
    lease_seconds: float = 60.0  # a claimed row is retried by others after this
    webhook_timeout: float = 10.0
    stream_poll_seconds: float = 5.0  # stream re-checks the inbox and the login this often
    app_send_limit: int = 100  # template messages one mini-app may send a minute
    sweep_every: int = 30  # seconds between sweeps for undelivered rows


_ENV = {
    "CITYBRAIN_NOTIFY_RETRY_BASE": "retry_base_seconds",
    "CITYBRAIN_NOTIFY_MAX_TRIES": "max_tries",
    "CITYBRAIN_JOB_TIMEOUT": "lease_seconds",
    "CITYBRAIN_WEBHOOK_TIMEOUT": "webhook_timeout",
    "CITYBRAIN_STREAM_POLL": "stream_poll_seconds",
    "CITYBRAIN_APP_SEND_LIMIT": "app_send_limit",
}

_config: NotifyConfig | None = None


def get_config() -> NotifyConfig:
    global _config
    if _config is None:
        raw = {field: os.environ[var] for var, field in _ENV.items() if os.environ.get(var)}
        _config = msgspec.convert(raw, NotifyConfig, strict=False)
    return _config


def set_config(config: NotifyConfig | None) -> None:
    global _config
    _config = config


def backoff(attempt: int) -> timedelta:
    """Delay before try `attempt + 1`: exponential, capped."""
    config = get_config()
    return timedelta(
        seconds=min(config.retry_max_delay, config.retry_base_seconds * 2 ** (attempt - 1))
    )


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None outside them."""
    local = now.astimezone(QUIET_ZONE)
    if QUIET_START <= local.time() or local.time() < QUIET_END:
        day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
        end = datetime.combine(day, QUIET_END, tzinfo=QUIET_ZONE)
        return end.astimezone(UTC)
    return None

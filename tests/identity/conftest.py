"""Identity fixtures: settings overrides and a fresh rate limiter on a frozen clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from app import ratelimit
from app.settings import Settings, get_settings

SettingsOverride = Callable[..., Settings]


@pytest.fixture
def override_settings(monkeypatch: pytest.MonkeyPatch) -> SettingsOverride:
    """Replace settings fields for the modules identity reads them from."""
    import identity.routes
    import identity.service

    def apply(**changes: Any) -> Settings:
        settings = msgspec.structs.replace(get_settings(), **changes)
        for module in (identity.service, identity.routes):
            monkeypatch.setattr(module, "get_settings", lambda: settings)
        return settings

    return apply


@pytest.fixture
def fresh_limiter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An empty in-memory limiter on a frozen clock (20 s left in the minute window)."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_000_000.0))
    monkeypatch.setattr(
        ratelimit, "_limiter", ratelimit.RateLimiter(ratelimit.MemoryRateLimitStore())
    )
    yield

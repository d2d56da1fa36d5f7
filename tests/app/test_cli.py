"""`citybrain run`: the options reach uvicorn (the server itself is exercised by the benches)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from app import cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def fake_run(target: str, **options: Any) -> None:
        calls.append({"target": target, **options})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level  # `run` configures logging
    yield calls
    root.handlers[:] = handlers
    root.setLevel(level)


class TestRun:
    def test_defaults_to_one_process(self, served: list[dict[str, Any]]) -> None:
        cli.main(["run", "--port", "8123"])
        assert served == [
            {
                "target": "app.asgi:app",
                "host": "127.0.0.1",
                "port": 8123,
                "workers": 1,
                "proxy_headers": False,
                "log_level": "info",
                "log_config": None,  # uvicorn's records go through app.logs
                "access_log": False,
            }
        ]

    def test_workers_from_the_flag_or_web_concurrency(
        self, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cli.main(["run", "--workers", "2"])
        monkeypatch.setenv("WEB_CONCURRENCY", "3")
        cli.main(["run"])
        assert [call["workers"] for call in served] == [2, 3]

    def test_a_bad_worker_count_is_refused(self, served: list[dict[str, Any]]) -> None:
        with pytest.raises(SystemExit):
            cli.main(["run", "--workers", "0"])
        assert served == []

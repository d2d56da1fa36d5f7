"""Demo data for `make run`: each domain's `<domain>.demo.seed(context)` in order.

Seeding is idempotent (run at every `make run`). Gate credentials go to
`<data_dir>/demo-credentials.json`.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from app.database import close_engine, open_engine
from app.domains import DOMAINS
from app.settings import get_settings


async def seed_demo() -> dict[str, Any]:
    await open_engine()
    context: dict[str, Any] = {}
    try:
        for domain in DOMAINS:
            try:
                module = importlib.import_module(f"{domain}.demo")
            except ModuleNotFoundError as exc:
                if exc.name in {domain, f"{domain}.demo"}:
                    continue
                raise
            await module.seed(context)
    finally:
        await close_engine()
    path = Path(get_settings().data_dir) / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(context.get("credentials", {}), ensure_ascii=False, indent=2))
    return context

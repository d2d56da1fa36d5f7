"""Demo data for `make run`: signing keys, and a healthy declaration for each demo citizen
(identity's demo puts their ids in `context["citizens"]`), so their codes are green."""

from __future__ import annotations

from typing import Any

from healthcode import keys, service
from healthcode.schemas import DeclarationIn


async def seed(context: dict[str, Any]) -> None:
    await keys.ensure_keys()
    for citizen_id in context.get("citizens", []):
        if await service.current_colour(citizen_id) is None:
            await service.declare(citizen_id, DeclarationIn(temperature_c=36.5))

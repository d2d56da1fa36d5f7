"""Demo data for `make run`: the demo citizens' credit lines are opened (limits from the
development credit bureau), so that the wallet answers at once. Idempotent."""

from __future__ import annotations

from typing import Any

from wallet import service


async def seed(context: dict[str, Any]) -> None:
    for citizen_id in context.get("citizens", []):
        await service.wallet_view(citizen_id)

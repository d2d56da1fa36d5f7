"""Running a mini-app's migrations by hand on the app's loop, backwards and forwards, inside
one transaction that is then rolled back: the shared test database is left as it was (DDL is
transactional on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from app.database import atomic


class _Undo(Exception):
    pass


async def run_step(module: str, *, backwards: bool = False) -> None:
    """One migration module's steps, as `citybrain migrate` (or Piccolo's backwards) runs them;
    the migration table is not touched."""
    manager = await importlib.import_module(module).forwards()
    await manager.run(backwards=backwards)


async def rolled_back(work: Callable[[], Awaitable[Any]]) -> Any:
    """`await work()` in a transaction that is rolled back afterwards; its result."""
    result: Any = None
    try:
        async with atomic():
            result = await work()
            raise _Undo
    except _Undo:
        pass
    return result

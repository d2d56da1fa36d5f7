"""Idempotent requests: a retry with the same key replays the first response.

Keys are scoped to the caller and the concrete path. The claim is committed first (so a
concurrent retry sees `idempotency_key_in_use`); the work and the recorded response then
commit together in one transaction, so a replay can never disagree with what happened.
A domain failure (4xx except 429) is recorded and replayed too; 5xx and 429 are not, so the
client may retry them. Claims left by a crashed process are taken over after `STALE_AFTER`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter

from app.database import atomic, fetch, fetch_one
from app.errors import (
    PROBLEM_JSON,
    Conflict,
    FieldError,
    ProblemError,
    ValidationFailed,
    problem_response,
)

STALE_AFTER = timedelta(seconds=60)
KEY_MAX = 255

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="1–255 characters; a retry with the same key and body replays the first "
        "response.",
    ),
]


class IdempotencyKeyRequired(ProblemError):
    status, code, title = 422, "idempotency_key_required", "Idempotency-Key header required"


class IdempotencyKeyReused(ProblemError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key used with another request"


class IdempotencyKeyInUse(Conflict):
    code, title = "idempotency_key_in_use", "A request with this Idempotency-Key is still running"


def _now() -> datetime:
    return datetime.now(UTC)


def request_fingerprint(body: bytes) -> str:
    """Hash of the body compared as parsed JSON (key order and spacing do not matter)."""
    if not body.strip():
        canonical = "null"
    else:
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            canonical = body.decode(errors="replace")
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(status: int, body: str) -> Response[bytes]:
    media = PROBLEM_JSON if status >= 400 else "application/json"
    return Response(
        body.encode(),
        status_code=status,
        media_type=media,
        headers={"Idempotent-Replayed": "true"},
    )


async def _claim(scope: str, fingerprint: str) -> Response[bytes] | None:
    """Claim the key; None when claimed, else the replay (or raise for reuse / in use)."""
    async with atomic():
        claimed = await fetch_one(
            "INSERT INTO idempotency_record (scope, request_hash, state, created_at) "
            "VALUES ({}, {}, 'running', {}) ON CONFLICT (scope) DO NOTHING RETURNING id",
            scope,
            fingerprint,
            _now(),
        )
        if claimed is not None:
            return None
        row = await fetch_one(
            "SELECT request_hash, state, status_code, body, created_at FROM idempotency_record "
            "WHERE scope = {}",
            scope,
        )
        assert row is not None
        if row["request_hash"] != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different request; use a new key."
            )
        if row["state"] == "done":
            return _replay(int(row["status_code"]), str(row["body"]))
        created = row["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        if _now() - created < STALE_AFTER:
            raise IdempotencyKeyInUse(
                "The first request with this key is still running; retry shortly."
            )
        retaken = await fetch_one(
            "UPDATE idempotency_record SET created_at = {} WHERE scope = {} AND state = 'running' "
            "RETURNING id",
            _now(),
            scope,
        )
        if retaken is None:
            raise IdempotencyKeyInUse(
                "The first request with this key is still running; retry shortly."
            )
    return None


async def _record(scope: str, status: int, body: bytes) -> None:
    await fetch(
        "UPDATE idempotency_record SET state = 'done', status_code = {}, body = {} "
        "WHERE scope = {}",
        status,
        body.decode(),
        scope,
    )


async def _release(scope: str) -> None:
    async with atomic():
        await fetch("DELETE FROM idempotency_record WHERE scope = {} AND state = 'running'", scope)


async def idempotent(
    request: Request[Any, Any, Any],
    *,
    scope: str,
    key: str | None,
    required: bool,
    status_code: int,
    run: Callable[[], Awaitable[Any]],
) -> Response[Any]:
    """Run `run` once per (scope, path, key); `run` executes inside the recording transaction."""
    if key is None or key == "":
        if required:
            raise IdempotencyKeyRequired(
                "Send an Idempotency-Key header (1–255 characters) so that retries are safe."
            )
        async with atomic():
            result = await run()
        return Response(result, status_code=status_code)
    if len(key) > KEY_MAX:
        raise ValidationFailed(errors=[FieldError("Idempotency-Key", "must be 1–255 characters")])
    full_scope = f"{scope}|{request.url.path}|{key}"
    fingerprint = request_fingerprint(await request.body())
    replay = await _claim(full_scope, fingerprint)
    if replay is not None:
        return replay
    try:
        async with atomic():
            result = await run()
            body = msgspec.json.encode(result)
            await _record(full_scope, status_code, body)
    except ProblemError as error:
        if error.status >= 500 or error.status == 429:
            await _release(full_scope)
            raise
        response = problem_response(
            error.status, error.code, error.title, error.detail, error.errors
        )
        problem_body = msgspec.json.encode(response.content)
        async with atomic():
            await _record(full_scope, error.status, problem_body)
        raise
    except BaseException:
        await _release(full_scope)
        raise
    return Response(body, status_code=status_code, media_type="application/json")


async def purge_expired(older_than: timedelta = timedelta(days=30)) -> int:
    """Keys live at least 30 days; drop older ones."""
    async with atomic():
        rows = await fetch(
            "DELETE FROM idempotency_record WHERE created_at < {} RETURNING id", _now() - older_than
        )
    return len(rows)

"""RFC 9457 problem details for every failure, with stable machine-readable `code`s.

Domains raise subclasses of `ProblemError` that carry their HTTP status and code; the
handlers here turn those, Litestar's own exceptions and anything unexpected into
`application/problem+json`. Bodies never echo request values (no phone, ID or token).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, ClassVar

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ExceptionHandlersMap

log = logging.getLogger("citybrain.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """A failure a client can act on. Subclass per domain; set `status`, `code`, `title`."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.detail)


class MalformedRequest(ProblemError):
    status, code, title = 400, "malformed_request", "Malformed request"


class ValidationFailed(ProblemError):
    status, code, title = 422, "validation_error", "The request is not valid"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class RateLimited(ProblemError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; retry in {retry_after} seconds.",
            headers={"Retry-After": str(max(1, retry_after))},
        )


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=f"https://citybrain.example/problems/{code.replace('_', '-')}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _from_problem(_: Request[Any, Any, Any], exc: ProblemError) -> Response[Problem]:
    return problem_response(exc.status, exc.code, exc.title, exc.detail, exc.errors, exc.headers)


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _field_error(item: dict[str, Any]) -> FieldError:
    """Name the field a person must fix: Litestar reports a missing body field, or a body of
    the wrong shape, against the handler's `data` argument rather than the field."""
    key = str(item.get("key") or "")
    message = str(item.get("message", "invalid value"))
    source = str(item.get("source") or "")
    if missing := _MISSING_FIELD.search(message):
        name = missing.group(1)
        return FieldError(field=name if key in {"", "data"} else f"{key}.{name}", message=message)
    if unknown := _UNKNOWN_FIELD.search(message):
        name = unknown.group(1)
        return FieldError(
            field=name if key in {"", "data"} else f"{key}.{name}",
            message="not a field of this request",
        )
    if key == "data" and source == "body":
        if not message.startswith("Expected"):
            message = "a JSON object body is required"
        return FieldError(field="body", message=message)
    return FieldError(field=key or source or "body", message=message)


def _field_errors(extra: Any) -> list[FieldError]:
    if not isinstance(extra, list):
        return []
    return [_field_error(item) for item in extra if isinstance(item, dict)]


_MALFORMED_HINTS = ("JSON is malformed", "malformed", "Expecting", "invalid json", "truncated")


def _from_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors = _field_errors(exc.extra)
    detail = str(exc.detail or "")
    if not errors and any(h.lower() in detail.lower() for h in _MALFORMED_HINTS):
        return problem_response(
            400, "malformed_request", "Malformed request", "The body is not valid JSON."
        )
    if not errors:
        errors = [FieldError(field="request", message=_scrub(detail))]
    return problem_response(
        422,
        "validation_error",
        "The request is not valid",
        "One or more fields are invalid; see errors.",
        errors,
    )


def _scrub(detail: str) -> str:
    # Litestar's messages name the path and parameter, never the submitted value.
    return detail.split(" for path ")[0][:200]


_CODES = {
    400: ("malformed_request", "Malformed request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def _from_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        return _internal(_, exc)
    code, title = _CODES.get(status, ("bad_request", "Bad request"))
    if status == 400:
        detail = "The body is not valid JSON or not of the expected form."
    elif isinstance(exc, NotFoundException):
        detail = "No such resource."
    elif isinstance(exc, NotAuthorizedException | PermissionDeniedException):
        detail = title
    else:
        detail = title
    return problem_response(status, code, title, detail, headers=exc.headers)


def _unstorable(_: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """A value that passed validation but that the database cannot store (a NUL character in
    text on PostgreSQL, a number or date out of range): the client's input, so a 422; the
    transaction it broke was rolled back. Logged, since a schema should have caught it."""
    log.warning("unstorable input: %s", type(exc).__name__)
    return problem_response(
        422,
        "validation_error",
        "The request is not valid",
        "A value cannot be stored; see errors.",
        [
            FieldError(
                field="request",
                message="a value is out of range, too long, or contains a NUL character",
            )
        ],
    )


def _too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    """A body nested deeper than the decoder's recursion limit (`[[[[...`): malformed input,
    not our failure. Nothing has been written, since the body is decoded before any work."""
    return problem_response(
        400, "malformed_request", "Malformed request", "The body is nested too deeply."
    )


def _database_down(_: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The database refused or dropped the connection (down, restarting, shutting down): a
    503 at once, so that clients retry (with their Idempotency-Key) instead of waiting. The
    pool replaces dead connections on the next acquire, so the process recovers by itself.
    An asyncpg InterfaceError that is not about a closed connection is our bug: a 500."""
    if isinstance(exc, asyncpg.InterfaceError) and "closed" not in str(exc):
        return _internal(_, exc)
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "unavailable",
        "Service unavailable",
        "The database is unavailable; retry shortly.",
        headers={"Retry-After": "1"},
    )


def _internal(_: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return problem_response(
        500, "internal_error", "Internal error", "Something went wrong on our side."
    )


exception_handlers: ExceptionHandlersMap = {
    ProblemError: _from_problem,
    ValidationException: _from_validation,
    HTTPException: _from_http,
    RecursionError: _too_deep,
    asyncpg.DataError: _unstorable,  # SQLSTATE class 22, "data exception"
    asyncpg.PostgresConnectionError: _database_down,  # the connection broke mid-statement
    asyncpg.exceptions.OperatorInterventionError: _database_down,  # 57P01 shutdown, 57P03
    asyncpg.InterfaceError: _database_down,  # "connection is closed"
    # The server's termination message arriving mid-statement leaves asyncpg's protocol in
    # a state it reports as this (seen in the postgres_restarted drill); the pool drops it.
    asyncpg.exceptions.InternalClientError: _database_down,
    ConnectionError: _database_down,  # refused or reset while the pool reconnects
    OverflowError: _unstorable,  # SQLite: an integer beyond 64 bits; dates beyond year 9999
    Exception: _internal,
}

# OpenAPI: document every problem an operation can answer -------------------------------------

_DECLARED: dict[Callable[..., Any], tuple[type[ProblemError], ...]] = {}
_OPTIONAL_TOKEN: set[Callable[..., Any]] = set()


def declare_problems(
    fn: Callable[..., Any], *problems: type[ProblemError], optional_token: bool = False
) -> None:
    """Record the problems a dependency raises (an auth dependency: 401, 403), so that every
    operation using it documents them. `optional_token`: it also serves callers without a
    token (and refuses only a bad one), so the bearer scheme is documented as optional."""
    _DECLARED[fn] = (*_DECLARED.get(fn, ()), *problems)
    if optional_token:
        _OPTIONAL_TOKEN.add(fn)


def _example(problem: type[ProblemError]) -> Example:
    value = msgspec.to_builtins(
        Problem(
            type=f"https://citybrain.example/problems/{problem.code.replace('_', '-')}",
            title=problem.title,
            status=problem.status,
            detail=problem.title,
            code=problem.code,
        )
    )
    return Example(summary=f"{problem.code}: {problem.title}", value=value)


def _used_dependencies(handler: HTTPRouteHandler) -> list[Callable[..., Any]]:
    """The dependencies a handler really calls: named by its signature, or by theirs (a layer
    may provide dependencies that some of its handlers never ask for)."""
    available = handler.resolve_dependencies()
    wanted = [name for name in handler.parsed_fn_signature.parameters if name in available]
    used: dict[str, Callable[..., Any]] = {}
    while wanted:
        name = wanted.pop()
        if name not in used:
            used[name] = available[name].dependency
            parameters = available[name].parsed_fn_signature.parameters
            wanted.extend(n for n in parameters if n in available)
    return list(used.values())


def _takes_input(handler: HTTPRouteHandler) -> bool:
    ignored = (RESERVED_KWARGS - {"data"}) | {"self", *handler.resolve_dependencies()}
    return any(name not in ignored for name in handler.parsed_fn_signature.parameters)


def problems_of(handler: HTTPRouteHandler, has_path_parameters: bool) -> list[type[ProblemError]]:
    """What an operation may answer besides success: declared by the handler (the `problems`
    opt, on any layer), by the dependencies it uses, and implied by its inputs."""
    found: list[type[ProblemError]] = []
    for layer in handler.ownership_layers:
        found.extend((getattr(layer, "opt", None) or {}).get("problems", ()))
    for dependency in _used_dependencies(handler):
        found.extend(_DECLARED.get(dependency, ()))
    if has_path_parameters or _takes_input(handler):
        found.extend((MalformedRequest, ValidationFailed))
    if has_path_parameters:
        found.append(NotFound)
    return list(dict.fromkeys(found))


def document_problems(handler: HTTPRouteHandler, has_path_parameters: bool) -> None:
    """Add a problem+json response per status to the handler's OpenAPI responses (keeping any
    the handler documents itself), and the bearer scheme when it takes a token."""
    by_status: dict[int, list[type[ProblemError]]] = {}
    for problem in problems_of(handler, has_path_parameters):
        by_status.setdefault(problem.status, []).append(problem)
    responses = dict(handler.responses or {})
    for status, problems in sorted(by_status.items()):
        if status in responses:
            continue
        responses[status] = ResponseSpec(
            data_container=Problem,
            generate_examples=False,
            media_type=PROBLEM_JSON,
            description="; ".join(f"`{p.code}`: {p.title}" for p in problems),
            examples=[_example(p) for p in problems],
        )
    handler.responses = responses
    takes_token = [
        dependency
        for dependency in _used_dependencies(handler)
        if any(issubclass(p, Unauthorized) for p in _DECLARED.get(dependency, ()))
    ]
    if takes_token and not handler.security:
        required = any(d not in _OPTIONAL_TOKEN for d in takes_token)
        handler.security = [{"bearer": []}] if required else [{"bearer": []}, {}]


class ProblemDocsPlugin(ReceiveRoutePlugin):
    """Documents, on every HTTP route as it is registered, the problem+json answers it may give
    (see `problems_of`), so that the OpenAPI document matches what clients really receive."""

    def receive_route(self, route: BaseRoute) -> None:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                document_problems(handler, bool(route.path_parameters))


__all__ = [
    "Conflict",
    "FieldError",
    "Forbidden",
    "MalformedRequest",
    "NotFound",
    "Problem",
    "ProblemDocsPlugin",
    "ProblemError",
    "RateLimited",
    "Unauthorized",
    "ValidationFailed",
    "declare_problems",
    "document_problems",
    "exception_handlers",
    "MediaType",
]

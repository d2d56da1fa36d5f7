"""RFC 9457 problem details for every failure, with stable machine-readable `code`s.

Domains raise subclasses of `ProblemError` that carry their HTTP status and code; the
handlers here turn those, Litestar's own exceptions and anything unexpected into
`application/problem+json`. Bodies never echo request values (no phone, ID or token).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
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


def _field_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                errors.append(
                    FieldError(
                        field=str(item.get("key") or item.get("source") or "body"),
                        message=str(item.get("message", "invalid value")),
                    )
                )
    return errors


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


def _internal(_: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return problem_response(
        500, "internal_error", "Internal error", "Something went wrong on our side."
    )


exception_handlers: ExceptionHandlersMap = {
    ProblemError: _from_problem,
    ValidationException: _from_validation,
    HTTPException: _from_http,
    Exception: _internal,
}

__all__ = [
    "Conflict",
    "FieldError",
    "Forbidden",
    "MalformedRequest",
    "NotFound",
    "Problem",
    "ProblemError",
    "RateLimited",
    "Unauthorized",
    "ValidationFailed",
    "exception_handlers",
    "MediaType",
]

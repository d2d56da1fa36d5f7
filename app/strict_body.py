"""JSON bodies are checked against their schema strictly: `"100"` is not an amount.

Litestar converts every handler argument with msgspec's lax rules (`strict=False`), which
path and query parameters need (they arrive as strings) but which also let a JSON body say
`"amount": "100"`, `"amount": 1e2` or `"temperature_c": "37"` and be taken at its word. The
contract says money is an integer and a body that breaks its schema is a 422, so after the
usual conversion has succeeded (dependencies, and so authentication, have run by then: a
stranger still gets 401 first), the JSON body is converted once more, strictly. Form bodies
(`/oauth/token` accepts one) stay lax: in a form every value is a string.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import msgspec
from litestar._signature.model import SignatureModel, _deserializer
from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException

_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_installed = False
# Per signature model: the body's type when lax and strict conversion can differ, else None.
_strict_types: dict[type, Any] = {}


def _only_text(info: msgspec.inspect.Type) -> bool:
    """Whether lax conversion of this type is already strict: msgspec's lax rules only turn
    strings into other things (and floats into integers), so a tree of strings, and of
    containers and structs of strings, converts the same either way. The gate's scan body,
    `{code}`, is one: it skips the second conversion on the hottest path."""
    inspect = msgspec.inspect
    if isinstance(info, inspect.StrType | inspect.NoneType | inspect.LiteralType):
        return all(isinstance(v, str) for v in getattr(info, "values", ()))
    if isinstance(info, inspect.StructType):
        return all(_only_text(f.type) for f in info.fields)
    if isinstance(info, inspect.ListType | inspect.SetType | inspect.FrozenSetType):
        return _only_text(info.item_type)
    if isinstance(info, inspect.UnionType):
        return all(_only_text(t) for t in info.types)
    return False


def _strict_type(model: type) -> Any:
    if model not in _strict_types:
        annotation = model.__annotations__["data"]
        try:
            plain = _only_text(msgspec.inspect.type_info(annotation))
        except (TypeError, ValueError):  # a type msgspec cannot describe: check it
            plain = False
        _strict_types[model] = None if plain else annotation
    return _strict_types[model]


def _strict_error(exc: msgspec.ValidationError) -> ValidationException:
    message = str(exc)
    match = _PATH.search(message)
    field = match.group(1) if match and match.group(1) else "body"
    message = _PATH.sub("", message)
    return ValidationException(
        detail="Validation failed",
        extra=[{"message": message, "key": field, "source": "body"}],
    )


def install() -> None:
    """Wrap Litestar's argument parsing once per process (Litestar offers no hook for it)."""
    global _installed
    if _installed:
        return
    _installed = True
    lax = SignatureModel.parse_values_from_connection_kwargs.__func__  # type: ignore[attr-defined]

    def parse(
        cls: type[SignatureModel],
        connection: ASGIConnection[Any, Any, Any, Any],
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        values: dict[str, Any] = lax(cls, connection, kwargs)
        if "data" in values and "data" in kwargs and (body_type := _strict_type(cls)) is not None:
            content_type = connection.headers.get("content-type", "")
            if not content_type.startswith(_FORM_TYPES):
                hook = partial(
                    _deserializer,
                    default_deserializer=connection.route_handler.default_deserializer,
                )
                try:
                    msgspec.convert(
                        kwargs["data"],
                        body_type,
                        strict=True,
                        dec_hook=hook,
                        str_keys=True,
                    )
                except msgspec.ValidationError as exc:
                    raise _strict_error(exc) from None
        return values

    SignatureModel.parse_values_from_connection_kwargs = classmethod(parse)  # type: ignore[method-assign, assignment]

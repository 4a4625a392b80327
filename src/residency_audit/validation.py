"""One way to validate settings: pydantic models, and one formatter for their errors.

The config file, the plugins' ``[providers.NAME]`` tables, the tickets settings and the profile
files are all pydantic models; :func:`config_error` turns the first error of any of them into a
:class:`~residency_audit.errors.ConfigError` with the full dotted key
(``providers.aws.partitions.aws-cn.regions``, ``concern.add[0].country``) and one wording for one
kind of mistake, so the CLI says exit 2, the file and the key the same way everywhere.

Messages never echo the value given (a setting may be a secret); they name its kind instead.
A tagged union's member names (``<table>``) are pydantic's, not the user's, and are left out of
keys.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigError

__all__ = ["TAG", "StrictModel", "config_error", "describe", "kind_of", "validated"]

TAG = "<{}>"  # how a tagged union's members are named (see the module's docstring)


class StrictModel(BaseModel):
    """A settings table: frozen, and a key it does not define is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, *, file: str | None = None, prefix: str = "") -> M:
    """``model`` validated from ``data``, or the ConfigError that names file and key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, file=file, prefix=prefix, model=model) from None


def config_error(
    exc: ValidationError,
    *,
    file: str | None = None,
    prefix: str = "",
    model: type[BaseModel] | None = None,
) -> ConfigError:
    """The first error as a ConfigError; ``prefix`` is the table's own dotted key."""
    key, message = describe(exc, prefix=prefix, model=model)
    return ConfigError(message, file=file, key=key)


def describe(
    exc: ValidationError, *, prefix: str = "", model: type[BaseModel] | None = None
) -> tuple[str | None, str]:
    """The first error's dotted key (None: the top level) and its message, in this wording."""
    first = exc.errors()[0]
    loc = _user_loc(first["loc"])
    if first["type"] == "extra_forbidden" and loc:
        return _unknown_keys(exc, loc, prefix=prefix, model=model)
    return _key(prefix, loc) or None, _message(first)


def _user_loc(loc: Sequence[int | str]) -> list[int | str]:
    """The path as the user wrote it: no union member names, no ``[key]`` of a table's key."""
    return [p for p in loc if not (isinstance(p, str) and (p.startswith("<") or p == "[key]"))]


def kind_of(value: Any) -> str:
    """What a value is, in the user's terms (TOML's), never the value itself."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime | date):
        return "a date"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


def _key(prefix: str, loc: Sequence[int | str]) -> str:
    key = prefix
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


_EXPECTED = {
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "an array",
    "tuple_type": "an array",
    "set_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date",
    "date_parsing": "a date",
    "date_from_datetime_parsing": "a date",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "missing required key"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]} (got {kind_of(error['input'])})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}".replace("'", "")
    if kind == "enum":
        return f"must be one of {ctx.get('expected', '')}".replace("'", "")
    if kind == "string_too_short":
        return "must not be empty"
    bounds = {
        "greater_than": "above",
        "greater_than_equal": "at least",
        "less_than": "below",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"must be {bounds[kind]} {limit}"
    if kind in ("value_error", "assertion_error"):
        # the model's own check: its message as written (pydantic prefixes "Value error, ")
        text = str(error["msg"])
        return text.split(", ", 1)[1] if text.startswith(("Value error, ", "Assertion")) else text
    return str(error["msg"])


def _unknown_keys(
    exc: ValidationError,
    loc: list[int | str],
    *,
    prefix: str,
    model: type[BaseModel] | None,
) -> tuple[str, str]:
    """Every unknown key of the same table at once, and the keys it may hold."""
    parent = loc[:-1]
    unknown = sorted(
        str(e["loc"][-1])
        for e in exc.errors()
        if e["type"] == "extra_forbidden" and _user_loc(e["loc"])[:-1] == parent
    )
    table = _model_at(model, parent) if model is not None else None
    known = f"; known: {', '.join(sorted(_aliases(table)))}" if table is not None else ""
    return _key(prefix, [*parent, unknown[0]]), f"unknown key(s) {', '.join(unknown)}{known}"


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if not f.exclude]


def _without_none(annotation: Any) -> Any:
    """``X | None`` as ``X`` (Optional settings)."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model an annotation holds, looking through Annotated, unions and arrays."""
    annotation = _without_none(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is typing.Annotated:
        return _model_in(get_args(annotation)[0])
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    annotation: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an array's item: the item type is what the field holds
        inner = _without_none(annotation)
        if get_origin(inner) is typing.Annotated:
            inner = _without_none(get_args(inner)[0])
        if get_origin(inner) in (dict, Mapping):  # a table keyed by the user's names
            annotation = get_args(inner)[1]
            continue
        table = _model_in(inner)
        if table is None:
            return None
        field = next(
            (f for name, f in table.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return None
        annotation = field.annotation
    return _model_in(annotation)

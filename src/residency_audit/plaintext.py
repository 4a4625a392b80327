"""Text from clouds made safe to store and write: no lone surrogates, no control characters.

A plugin passes on whatever an API or SDK hands it: tag values, labels, names, error messages. A
lone surrogate (``'\\udc80'``, e.g. bytes decoded with ``surrogateescape``) cannot be encoded as
UTF-8, so it would stop every report and the history; a control character can rewrite a terminal
line, break an XML-based format or hide text in a spreadsheet; a private-use mark of
:mod:`residency_audit.markup` would pass for one of our codes. Each becomes U+FFFD REPLACEMENT
CHARACTER, once, where text enters: plugin output in :mod:`residency_audit.scan`, inventory files
in :func:`residency_audit.inventory_file.load_inventory`. TAB, LF and CR stay: multi-line error
texts are ordinary, and every writer quotes or escapes them.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

__all__ = [
    "REPLACEMENT",
    "clean_model",
    "clean_text",
    "clean_value",
    "encodable",
    "json_bytes",
]

REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls except TAB LF CR, DEL, C1 controls; and the private-use marks our own messages use
# for codes and quotations (residency_audit.markup), so text from a cloud cannot forge one
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue001-\ue004]")
# both: one search tells clean text (nearly all of it) apart
_EITHER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue001-\ue004\ud800-\udfff]")

M = TypeVar("M", bound=BaseModel)


def encodable(text: str) -> str:
    """``text`` with every lone surrogate replaced, so it can be encoded as UTF-8."""
    if not _SURROGATE.search(text):
        return text
    # a well-formed pair becomes its character; a lone half becomes U+FFFD
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def json_bytes(value: Any, *, indent: int | None = None) -> bytes:
    """``value`` (a model, or plain data) as UTF-8 JSON with Japanese kept readable, compact or
    indented, by pydantic's serializer: several times faster than ``json.dumps`` at 200,000
    findings. Text it cannot encode (a lone surrogate, in text built in code: a scan's is cleaned
    where it enters) goes the slow way and comes out as U+FFFD instead of stopping the write."""
    try:
        return to_json(value, indent=indent)
    except PydanticSerializationError:
        separators = (",", ":") if indent is None else (",", ": ")
        text = json.dumps(
            to_jsonable_python(value), ensure_ascii=False, indent=indent, separators=separators
        )
        return encodable(text).encode("utf-8")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate and control character (but TAB, LF, CR) replaced."""
    if not _EITHER.search(text):
        return text
    return _CONTROL.sub(REPLACEMENT, encodable(text))


def clean_value(value: Any) -> Any:
    """Every string inside ``value`` (models, tuples, lists, dict keys and values) cleaned.

    Returns ``value`` itself when nothing needed cleaning, so the common case copies nothing.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, BaseModel):
        return clean_model(value)
    if isinstance(value, tuple | list):
        items = [clean_value(v) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, dict):
        pairs = [(clean_value(k), clean_value(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    return value


def clean_model(model: M) -> M:
    """A copy of ``model`` with every string field cleaned; ``model`` itself when already clean."""
    updates = {}
    for name in _field_names(type(model)):
        old = getattr(model, name)
        new = clean_value(old)
        if new is not old:
            updates[name] = new
    return model.model_copy(update=updates) if updates else model


@functools.cache
def _field_names(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(cls.model_fields)

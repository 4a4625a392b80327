"""The words for the model's values, in Japanese and English, shared by rules, reports and tickets.

Each ``*.json`` file in this package is a flat object ``key -> {"ja": ..., "en": ...}``; keys are
``<kind>.<value>`` (``severity.critical``, ``role.replica``, ``mechanism.s3-replication``,
``evidence.aws.bpa.account`` ...). The report's own labels add these (a key in two files is an
error). A value without a term is shown as its code, never dropped: see :func:`term`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["TermDataError", "all_terms", "term"]

_LANGS = ("ja", "en")


class TermDataError(ValueError):
    """A terms file is malformed, lacks a language, or repeats a key of another file."""


@cache
def all_terms() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for entry in sorted(files("residency_audit.terms").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        raw: Any = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise TermDataError(f"{entry.name} must be an object")
        for key, value in raw.items():
            if key.startswith("_"):
                continue
            if not isinstance(value, dict) or set(value) != set(_LANGS):
                raise TermDataError(f"{entry.name}: term {key!r} must have exactly {_LANGS}")
            if not all(isinstance(value[lang], str) and value[lang].strip() for lang in _LANGS):
                raise TermDataError(f"{entry.name}: term {key!r} has an empty text")
            if key in found:
                raise TermDataError(f"{entry.name}: term {key!r} is also in another file")
            found[key] = dict(value)
    return found


def term(key: str, lang: str, default: str | None = None) -> str:
    """The word for ``key`` in ``lang``; else ``default``, else the last part of the key."""
    entry = all_terms().get(key)
    if entry is None:
        return default if default is not None else key.split(".", 1)[-1]
    return entry[lang]

"""Report labels in Japanese and English: ``labels.json`` plus the model's terms (``terms/``).

Every key must carry both languages; a missing key is an error at render time, never a blank.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from ..terms import all_terms

__all__ = ["LANGS", "LabelDataError", "Labels", "all_labels"]

LANGS = ("ja", "en")


class LabelDataError(ValueError):
    """labels.json is malformed or lacks a language for some key."""


@cache
def all_labels() -> dict[str, dict[str, str]]:
    raw: Any = json.loads(
        files("residency_audit.report").joinpath("labels.json").read_text(encoding="utf-8")
    )
    if not isinstance(raw, dict):
        raise LabelDataError("labels.json must be an object")
    labels: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if key.startswith("_"):
            continue  # comments
        if not isinstance(value, dict) or set(value) != set(LANGS):
            raise LabelDataError(f"label {key!r} must have exactly the keys {LANGS}")
        if not all(isinstance(value[lang], str) and value[lang].strip() for lang in LANGS):
            raise LabelDataError(f"label {key!r} has an empty text")
        labels[key] = dict(value)
    for key, value in all_terms().items():  # the model's values: severity, role, mechanism ...
        if key in labels:
            raise LabelDataError(f"label {key!r} is also a term (residency_audit/terms)")
        labels[key] = value
    return labels


class Labels:
    """``t(key)`` for one language; ``t(key, default)`` for keys built from open-ended data."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unsupported report language {lang!r}; choose one of {LANGS}")
        self.lang = lang
        self._labels = all_labels()

    def __call__(self, key: str, default: str | None = None) -> str:
        entry = self._labels.get(key)
        if entry is None:
            if default is not None:
                return default
            raise KeyError(f"no report label {key!r}")
        return entry[self.lang]

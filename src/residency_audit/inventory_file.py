"""Reading an inventory file (``inventory.json``, or a fixture estate) back into the model.

Used by ``evaluate``, by ``report.load_result`` and by the fixture provider alike, so every reader
of a saved inventory cleans, validates and rejects it the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from .errors import InputError
from .model import Inventory
from .plaintext import clean_value
from .validation import describe

__all__ = ["load_inventory"]


def load_inventory(path: Path) -> Inventory:
    """Read and validate an inventory file; a bad file is an InputError naming file and key.

    Its text is cleaned as plugin output is (:mod:`residency_audit.plaintext`): a lone surrogate
    or a control character is replaced, never a reason to stop. A bucket listed twice is an error.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read inventory: {exc}", file=str(path)) from None
    try:
        # the json module reads a lone surrogate escape (pydantic's parser refuses the whole file)
        data = clean_value(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", file=str(path)) from None
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as exc:
        key, msg = describe(exc, model=Inventory)
        raise InputError(msg, file=str(path), key=key) from None
    _reject_repeated_buckets(inventory, str(path))
    return inventory


def _reject_repeated_buckets(inventory: Inventory, file: str) -> None:
    """The same bucket twice would be judged, counted and ticketed twice: the file is wrong."""
    first_at: dict[tuple[str, str], int] = {}
    for index, bucket in enumerate(inventory.buckets):
        first = first_at.setdefault((bucket.provider, bucket.uid), index)
        if first != index:
            raise InputError(
                f"{bucket.provider} bucket {bucket.uid!r} is listed twice (first at "
                f"buckets[{first}])",
                file=file,
                key=f"buckets[{index}].uid",
            )

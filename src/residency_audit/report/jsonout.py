"""findings.json and inventory.json: the canonical, versioned outputs (docs/findings-schema.md)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..inventory_file import load_inventory
from ..markup import plain
from ..plaintext import encodable, json_bytes
from ..results import ScanResult

__all__ = [
    "findings_json",
    "findings_json_chunks",
    "inventory_json",
    "inventory_json_chunks",
    "load_result",
]

_BATCH = 256  # list items per chunk written


def _text(text: str) -> str:
    # The scan has cleaned plugin text already; a lone surrogate that got here anyway (a result
    # built in code) must not stop the write, so it becomes U+FFFD. Codes and quotations marked
    # in messages (markup.py) become plain text here: JSON readers get words, never private-use
    # characters. Both work character by character, so a chunk at a time gives the same text.
    return plain(encodable(text))


def _dumps(data: Any) -> str:
    # ensure_ascii=False keeps Japanese readable
    return json.dumps(data, ensure_ascii=False, indent=2)


def _item(item: BaseModel) -> str:
    """One list item as ``_dumps`` writes it (the same text, by pydantic's faster serializer)."""
    return json_bytes(item, indent=2).decode("utf-8")


def _chunks(top: dict[str, Any], key: str, items: Sequence[BaseModel]) -> Iterator[bytes]:
    """``top`` as indented JSON, its list ``key`` being ``items``, a few items at a time.

    The same bytes as dumping the whole document at once (and a trailing newline, which keeps
    diffs and cat tidy), without the whole document -- 600 MB of findings at 100,000 buckets --
    ever being one dict or one string. A random marker stands in for the list in the head.
    """
    if not items:
        yield (_text(_dumps({**top, key: []})) + "\n").encode("utf-8")
        return
    marker = uuid.uuid4().hex
    head, tail = _dumps({**top, key: [marker]}).split(f'"{marker}"')
    yield _text(head).encode("utf-8")  # ends '[\n    ': a list item is indented two levels
    # one pass, a batch at a time: the items may be on disk (spill), read as they are written
    batch: list[str] = []
    first = True
    for item in items:
        batch.append(_item(item).replace("\n", "\n    "))
        if len(batch) == _BATCH:
            yield _text(("" if first else ",\n    ") + ",\n    ".join(batch)).encode("utf-8")
            batch, first = [], False
    if batch:
        yield _text(("" if first else ",\n    ") + ",\n    ".join(batch)).encode("utf-8")
    yield (_text(tail) + "\n").encode("utf-8")


def findings_json_chunks(result: ScanResult) -> Iterator[bytes]:
    """findings.json in pieces: ``schema``, ``scan`` and ``findings`` (the inventory goes to
    inventory.json)."""
    top = result.model_copy(update={"findings": ()}).model_dump(mode="json", by_alias=True)
    return _chunks(top, "findings", result.findings)


def inventory_json_chunks(result: ScanResult) -> Iterator[bytes]:
    """inventory.json in pieces: the resolved inventory the findings were made from."""
    inventory = result.inventory
    top = inventory.model_copy(update={"buckets": ()}).model_dump(mode="json", by_alias=True)
    return _chunks(top, "buckets", inventory.buckets)


def findings_json(result: ScanResult) -> str:
    """``schema``, ``scan`` and ``findings`` (the inventory goes to inventory.json)."""
    return b"".join(findings_json_chunks(result)).decode("utf-8")


def inventory_json(result: ScanResult) -> str:
    """The resolved inventory the findings were made from; ``evaluate`` can re-read it."""
    return b"".join(inventory_json_chunks(result)).decode("utf-8")


def load_result(findings_path: Path, inventory_path: Path) -> ScanResult:
    """Read a written findings.json + inventory.json pair back into a :class:`ScanResult`.

    Pydantic validates both files, so a malformed or foreign file fails naming the bad key. The
    inventory is read as ``evaluate`` reads it (``inventory_file.load_inventory``).
    """
    findings: dict[str, Any] = json.loads(Path(findings_path).read_text(encoding="utf-8"))
    inventory = load_inventory(Path(inventory_path))
    return ScanResult.model_validate({**findings, "inventory": inventory})

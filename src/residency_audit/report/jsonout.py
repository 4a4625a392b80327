"""findings.json and inventory.json: the canonical, versioned outputs (docs/findings-schema.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..inventory_file import load_inventory
from ..markup import plain
from ..plaintext import encodable
from ..results import ScanResult

__all__ = ["findings_json", "inventory_json", "load_result"]


def _dumps(data: Any) -> str:
    # ensure_ascii=False keeps Japanese readable; a trailing newline keeps diffs and cat tidy.
    # The scan has cleaned plugin text already; a lone surrogate that got here anyway (a result
    # built in code) must not stop the write, so it becomes U+FFFD.
    # Codes and quotations marked in messages (markup.py) become plain text here: JSON readers
    # get words, never private-use characters.
    return plain(encodable(json.dumps(data, ensure_ascii=False, indent=2))) + "\n"


def findings_json(result: ScanResult) -> str:
    """``schema``, ``scan`` and ``findings`` (the inventory goes to inventory.json)."""
    return _dumps(result.model_dump(mode="json", by_alias=True))


def inventory_json(result: ScanResult) -> str:
    """The resolved inventory the findings were made from; ``evaluate`` can re-read it."""
    return _dumps(result.inventory.model_dump(mode="json", by_alias=True))


def load_result(findings_path: Path, inventory_path: Path) -> ScanResult:
    """Read a written findings.json + inventory.json pair back into a :class:`ScanResult`.

    Pydantic validates both files, so a malformed or foreign file fails naming the bad key. The
    inventory is read as ``evaluate`` reads it (``inventory_file.load_inventory``).
    """
    findings: dict[str, Any] = json.loads(Path(findings_path).read_text(encoding="utf-8"))
    inventory = load_inventory(Path(inventory_path))
    return ScanResult.model_validate({**findings, "inventory": inventory})

"""Shared fixtures for the core's tests."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from residency_audit.spill import Spill

ROOT = Path(__file__).resolve().parent.parent
DEMO_ESTATE = ROOT / "fixtures" / "estates" / "demo.json"


@pytest.fixture
def demo_estate() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_ESTATE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a scan config next to an estate file; returns the config path."""

    def _write(estate: dict[str, Any] | None = None, extra: str = "", head: str = "") -> Path:
        estate_path = tmp_path / "estate.json"
        if estate is not None:
            estate_path.write_text(json.dumps(estate, ensure_ascii=False), encoding="utf-8")
        else:
            estate_path.write_text(DEMO_ESTATE.read_text(encoding="utf-8"), encoding="utf-8")
        config = tmp_path / "scan.toml"
        config.write_text(
            f'{head}\nprofile = "jp-default"\n{extra}\n[providers.fixture]\npath = "estate.json"\n',
            encoding="utf-8",
        )
        return config

    return _write


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI configures the root logger; leave it as the next test expects."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def spill_passes(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many times any Spill has been read through since the fixture began (each pass
    parses every item again)."""
    passes = 0
    raw = Spill.raw

    def counted(self: Spill[Any]) -> Any:
        nonlocal passes
        passes += 1
        return raw(self)

    monkeypatch.setattr(Spill, "raw", counted)
    return lambda: passes

"""Shared fixtures for the core's tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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

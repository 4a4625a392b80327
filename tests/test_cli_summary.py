"""The console summary says "complete" only when every scope was read and no finding is
unverified; otherwise it says what is missing and how many findings are unverified."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from residency_audit.cli import cli


def _summary(config: Path, out: Path) -> tuple[str, dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "--no-history"]
    )
    assert result.exit_code in (0, 1, 3), result.output
    doc: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return result.stderr.strip().splitlines()[-1], doc


def _unverified(doc: dict[str, Any]) -> int:
    return sum(f["unverified"] for f in doc["findings"])


def test_all_scopes_read_but_unverified_findings_is_not_complete(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    line, doc = _summary(write_config(), tmp_path / "out")
    assert doc["scan"]["coverage"]["complete"] is True
    count = _unverified(doc)
    assert count > 1  # the demo estate has replicas whose destination is unknown
    assert "complete" not in line
    assert f"{count} findings UNVERIFIED" in line


def test_only_verified_findings_from_every_scope_is_complete(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    demo_estate["buckets"] = [
        b for b in demo_estate["buckets"] if b["name"] == "jp-design-docs-tokyo"
    ]
    line, doc = _summary(write_config(demo_estate), tmp_path / "out")
    assert _unverified(doc) == 0
    assert "(complete)" in line and "UNVERIFIED" not in line


def test_failed_scope_is_incomplete_and_counts_unverified(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    demo_estate["scopes"][1]["status"] = "failed"
    demo_estate["scopes"][1]["error"] = "sts:AssumeRole AccessDenied"
    line, doc = _summary(write_config(demo_estate), tmp_path / "out")
    assert "(INCOMPLETE, " in line
    assert f"{_unverified(doc)} findings UNVERIFIED" in line

"""At -v the scan says what it does (providers built, scopes found, each scope's start and end with
its bucket count and duration), and --log-format json carries the same events as fields; without
-v none of it is shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli

pytestmark = pytest.mark.usefixtures("restore_logging")


def _scan(config: Path, out: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-o", str(out), *args])
    assert result.exit_code in (0, 1), result.output
    return result.stderr


def test_verbose_text_names_providers_scopes_counts_and_durations(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    stderr = _scan(write_config(), tmp_path / "out", "-v")
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    buckets = findings["scan"]["coverage"]["buckets"]
    lines = [line for line in stderr.splitlines() if line.startswith("INFO residency_audit.scan")]
    assert lines[0] == "INFO residency_audit.scan: provider fixture built"
    assert any(line.startswith("INFO residency_audit.scan: provider fixture: ") for line in lines)
    finished = [line for line in lines if "finished: complete," in line]
    assert finished and all(line.endswith(" s") for line in finished)
    assert f"collected {buckets} buckets from " in stderr


def test_json_log_lines_carry_the_events_as_fields(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    stderr = _scan(write_config(), tmp_path / "out", "-v", "--log-format", "json")
    records: list[dict[str, Any]] = [
        json.loads(line) for line in stderr.splitlines() if line.startswith("{")
    ]
    events = {r.get("event"): r for r in records if "event" in r}
    assert {"provider.built", "scopes.found", "scope.started", "scope.finished"} <= set(events)
    found = events["scopes.found"]
    assert (found["provider"], found["level"]) == ("fixture", "info")
    assert isinstance(found["scopes"], int) and isinstance(found["duration_s"], float)
    ends = [r for r in records if r.get("event") == "scope.finished"]
    assert len(ends) == found["scopes"]
    coverage = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["scan"][
        "coverage"
    ]
    assert sum(r["buckets"] for r in ends) == coverage["buckets"]
    assert {r["status"] for r in ends} == {"complete"}
    assert events["scan.collected"]["buckets"] == coverage["buckets"]


def test_without_verbose_no_progress_events_are_logged(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    stderr = _scan(write_config(), tmp_path / "out")
    assert "INFO" not in stderr and "scope.finished" not in stderr


def test_credential_chain_warnings_wait_for_verbose() -> None:
    """azure-identity warns with every credential it tried, over many lines: the plugin's one
    line says it, so the chain's own warning shows only at -v."""
    import logging

    from residency_audit.logs import configure_logging

    chain = logging.getLogger("azure.identity._credentials.chained")
    configure_logging("text", 0)
    assert not chain.isEnabledFor(logging.WARNING)
    configure_logging("text", 1)
    assert chain.isEnabledFor(logging.WARNING)

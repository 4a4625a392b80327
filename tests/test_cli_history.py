"""Scheduled runs through the real CLI: history recorded by default, states across scans,
--new-only, suppressions that stay visible, and history commands over what was recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from residency_audit.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def findings(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return doc


def test_states_across_scans_and_new_only(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    config = write_config(demo_estate)
    code, output = run("scan", "--config", str(config), "-o", str(out), "-q")
    assert code == 1, output
    assert (out / "history.db").exists()  # SQLite history under the output directory by default
    first = findings(out)
    assert {f["state"] for f in first["findings"]} == {"new"}

    code, output = run("scan", "--config", str(config), "-o", str(out), "-q", "--new-only")
    assert code == 0, output  # nothing new since the last run
    second = findings(out)
    assert {f["state"] for f in second["findings"]} == {"persisting"}
    assert second["previous_scan_id"] == first["scan"]["id"]

    # the Hong Kong replica is removed: its findings resolve in a complete scan
    for bucket in demo_estate["buckets"]:
        if bucket["name"] == "cad-archive":
            bucket["locations"] = [loc for loc in bucket["locations"] if loc["role"] != "replica"]
    write_config(demo_estate)
    code, output = run("scan", "--config", str(config), "-o", str(out), "-q", "--new-only")
    assert code == 0, output
    third = findings(out)
    resolved = {(f["resource"]["name"], f["rule_id"]) for f in third["resolved"]}
    assert ("cad-archive", "location.concern") in resolved
    assert all(f["state"] == "resolved" for f in third["resolved"])

    code, output = run(
        "history", "list", "--db", f"sqlite:///{out / 'history.db'}", "--format", "json"
    )
    assert code == 0, output
    assert len(json.loads(output)) == 3


def test_suppressed_findings_stay_visible_and_do_not_fail_the_run(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    keep = {"cad-archive"}
    demo_estate["buckets"] = [b for b in demo_estate["buckets"] if b["name"] in keep]
    demo_estate["scopes"] = [s for s in demo_estate["scopes"] if s["scope"] == "111122223333"]
    config = write_config(demo_estate)
    suppressions = tmp_path / "suppressions.toml"
    suppressions.write_text(
        '[[suppression]]\nid = "hk-dr"\nrule = "*"\nprovider = "aws"\nscope = "111122223333"\n'
        'resource = "cad-*"\nreason = "approved DR copy"\napproved_by = "committee"\n'
        "expires = 2999-12-31\n"
        '[[suppression]]\nid = "stale-one"\nfingerprint = "' + "0" * 64 + '"\n'
        'reason = "old"\napproved_by = "x"\nexpires = 2999-12-31\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, output = run(
        "scan",
        "--config",
        str(config),
        "-o",
        str(out),
        "-q",
        "--no-history",
        "--suppressions",
        str(suppressions),
        "--fail-on",
        "high",
    )
    assert code == 0, output  # every high finding is suppressed
    doc = findings(out)
    hk = [f for f in doc["findings"] if f["resource"] and f["resource"]["name"] == "cad-archive"]
    assert hk and all(f["suppression"]["id"] == "hk-dr" for f in hk)
    assert doc["stale_suppressions"] == ["stale-one"]
    assert not (out / "history.db").exists()


def test_unwritable_history_still_writes_reports(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    out = tmp_path / "out"
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    code, output = run(
        "scan",
        "--config",
        str(write_config()),
        "-o",
        str(out),
        "-q",
        "--history",
        f"sqlite:///{blocker}/history.db",
    )
    assert code == 4, output
    assert (out / "findings.json").exists()  # a long scan is not lost to a history failure
    assert "scan history not recorded" in output

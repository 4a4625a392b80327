"""`residency-audit history list|show|diff|prune` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.history import HistoryStore, load_suppressions
from residency_audit.model import Finding
from residency_audit.results import ScanResult

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["history", *args], env=env, catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture
def three_scans(db_url: str, tmp_path: Path, finding: MakeF, result: MakeR) -> str:
    a, b, c = finding("bucket-a"), finding("bucket-b"), finding("evil\x1b[2Jname")
    sup = tmp_path / "s.toml"
    sup.write_text(
        f'[[suppression]]\nid = "accepted-b"\nfingerprint = "{b.fingerprint}"\n'
        'reason = "DR copy approved"\napproved_by = "k.tanaka"\nexpires = 2027-01-01\n'
        '[[suppression]]\nid = "gone"\nfingerprint = "' + "0" * 64 + '"\n'
        'reason = "old"\napproved_by = "x"\nexpires = 2027-01-01\n'
    )
    sups = load_suppressions(sup)
    with HistoryStore.open(db_url) as store:
        store.record(result("2026-01-05-aaaa", [a, b], started=T0), suppressions=sups, now=T0)
        store.record(result("2026-01-06-bbbb", [b], started=T0 + timedelta(days=1)), now=T0)
        store.record(
            result("2026-01-07-cccc", [b, c], started=T0 + timedelta(days=2)),
            suppressions=sups,
            now=T0,
        )
    return db_url


def test_list_newest_first_with_counts(three_scans: str) -> None:
    code, out = run("list", "--db", three_scans)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["SCAN", "STARTED", "FINDINGS"]
    assert [line.split()[0] for line in lines[1:]] == [
        "2026-01-07-cccc",
        "2026-01-06-bbbb",
        "2026-01-05-aaaa",
    ]
    code, out = run("list", "--db", three_scans, "--format", "json", "--limit", "1")
    (latest,) = json.loads(out)
    assert (latest["id"], latest["new"], latest["suppressed"]) == ("2026-01-07-cccc", 1, 1)


def test_show_has_changes_suppressions_and_stale_entries(three_scans: str) -> None:
    code, out = run("show", "--db", three_scans)  # latest by default
    assert code == 0
    assert "scan 2026-01-07-cccc" in out
    assert "previous scan: 2026-01-06-bbbb" in out
    assert "suppressed (accepted exceptions): 1" in out
    assert "accepted-b" in out and "k.tanaka" in out and "2027-01-01" in out
    assert "stale suppressions (matched nothing): gone" in out
    assert "\x1b" not in out and "evil\\x1b[2Jname" in out  # no terminal escapes from names

    code, out = run("show", "2026-01-06", "--db", three_scans)  # unique prefix
    assert "resolved since the previous scan: 1" in out and "bucket-a" in out

    code, out = run("show", "latest~2", "--db", three_scans, "--format", "json")
    doc = json.loads(out)
    assert doc["schema"] == "residency-audit/findings/v1"
    assert {f["resource"]["name"]: f["state"] for f in doc["findings"]} == {
        "bucket-a": "new",
        "bucket-b": "new",
    }


def test_diff_defaults_to_the_last_two(three_scans: str) -> None:
    code, out = run("diff", "--db", three_scans, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["a"], doc["b"]) == ("2026-01-06-bbbb", "2026-01-07-cccc")
    assert [f["resource"]["name"] for f in doc["new"]] == ["evil\x1b[2Jname"]
    code, out = run("diff", "2026-01-05-aaaa", "--db", three_scans)
    assert "2026-01-05-aaaa" in out and "-> 2026-01-07-cccc" in out
    assert "resolved: 1" in out and "new: 1" in out and "persisting: 1" in out


def test_prune(three_scans: str) -> None:
    code, out = run("prune", "--keep", "1", "--db", three_scans)
    assert (code, out.split()[:2]) == (0, ["pruned", "2"])
    code, out = run("list", "--db", three_scans, "--format", "json")
    assert [s["id"] for s in json.loads(out)] == ["2026-01-07-cccc"]
    code, out = run("diff", "--db", three_scans)
    assert code == 2 and "no earlier scan" in out


@pytest.mark.parametrize(
    "args", [["prune"], ["prune", "--keep", "1", "--older-than", "3"], ["prune", "--keep", "0"]]
)
def test_prune_needs_exactly_one_rule(sqlite_url: str, args: list[str]) -> None:
    HistoryStore.open(sqlite_url).close()
    code, _ = run(*args, "--db", sqlite_url)
    assert code == 2


def test_db_from_environment_and_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, finding: MakeF, result: MakeR
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("list")
    assert code == 2 and "no scan history at reports/history.db" in out  # never created
    assert not (tmp_path / "reports").exists()
    with HistoryStore.open("sqlite:///reports/history.db") as store:
        store.record(result("default-1", [finding("a")]))
    assert "default-1" in run("list")[1]
    other = tmp_path / "elsewhere.db"
    with HistoryStore.open(str(other)) as store:
        store.record(result("env-1", [finding("a")]))
    assert "env-1" in run("list", env={"RESIDENCY_AUDIT_HISTORY": str(other)})[1]


def test_unknown_scan_and_bad_url_exit_2(sqlite_url: str) -> None:
    HistoryStore.open(sqlite_url).close()
    code, out = run("show", "nope", "--db", sqlite_url)
    assert code == 2 and "no scan 'nope'" in out
    code, out = run("list", "--db", "mysql://user:hunter2@db/x")
    assert code == 2 and "hunter2" not in out

"""A scan imports only what it uses: what an empty estate's scan loads, read from ``sys.modules``
of a real ``residency-audit scan`` in a fresh interpreter (start-up time is measured in
``benchmarks/bench_startup.py``, never here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# runs the CLI as its console script does, then reports every module the run imported
RUN = """
import json, sys
from residency_audit.cli import main
sys.argv = ["residency-audit", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# never needed by a scan that writes the default reports and configures no tracker or cloud
NEVER = (
    "xlsxwriter",  # the workbook is not a default format
    "httpx",  # the trackers' client
    "tenacity",  # the trackers' retries
    "pythonjsonlogger",  # only for --log-format json
    "residency_audit.tickets.http",
    "residency_audit.tickets.sync",
    "psycopg",  # a PostgreSQL history
    "alembic",  # only when the history's schema must change
    "boto3",
    "botocore",
    "google",
    "azure",
)


def _imported(tmp_path: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return set(report["modules"])


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.fixture
def empty_estate(tmp_path: Path) -> Path:
    (tmp_path / "empty.json").write_text('{"buckets": [], "scopes": []}', encoding="utf-8")
    config = tmp_path / "scan.toml"
    config.write_text('[providers.fixture]\npath = "empty.json"\n', encoding="utf-8")
    return config


def test_an_empty_scan_without_history_loads_no_database_workbook_tracker_or_sdk(
    tmp_path: Path, empty_estate: Path
) -> None:
    argv = ("scan", "--config", str(empty_estate), "-o", "out", "--no-history")
    modules = _imported(tmp_path, *argv) | _imported(tmp_path, *argv, "-q")
    assert (tmp_path / "out" / "report.html").exists()  # the page was written: jinja2 is used
    for name in (*NEVER, "sqlalchemy", "rich"):  # rich: no progress display off a terminal
        assert not _loaded(modules, name), f"{name} imported by an empty scan"


def test_a_repeated_scan_with_history_loads_no_migrations_workbook_or_tracker(
    tmp_path: Path, empty_estate: Path
) -> None:
    argv = ("scan", "--config", str(empty_estate), "-o", "out", "-q")
    first = _imported(tmp_path, *argv)
    assert _loaded(first, "alembic")  # the history is created: its schema is migrated once
    again = _imported(tmp_path, *argv)
    assert (tmp_path / "out" / "history.db").exists()
    assert _loaded(again, "sqlalchemy")
    for name in NEVER:
        assert not _loaded(again, name), f"{name} imported by a scan with history"


def test_help_loads_no_report_or_history_machinery(tmp_path: Path) -> None:
    modules = _imported(tmp_path, "--help")
    for name in (*NEVER, "sqlalchemy", "jinja2", "rich", "residency_audit.report"):
        assert not _loaded(modules, name), f"{name} imported by --help"

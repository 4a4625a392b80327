"""An unusable output directory is found before anything is collected: exit 2 naming the path,
no traceback, no history entry. A usable one keeps working across versions and failed runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli


def scan(config: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-o", str(out), "-q"])
    return result.exit_code, result.output


@pytest.fixture
def no_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    def collected(*args: object, **kwargs: object) -> None:
        raise AssertionError("collection ran before the output directory was checked")

    monkeypatch.setattr("residency_audit.scan.run_scan", collected)


def unwritable_dir(tmp_path: Path) -> Path:
    """A directory this process cannot create files in (root ignores modes; sysfs refuses it)."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return locked


def test_a_parent_that_is_a_file_is_exit_2_naming_the_path(
    tmp_path: Path, write_config: Callable[..., Path], no_collection: None
) -> None:
    (tmp_path / "reports").write_text("not a directory")
    out = tmp_path / "reports" / "daily"
    code, output = scan(write_config(), out)
    assert code == 2, output
    assert f"cannot create output directory {out}" in output
    assert "Traceback" not in output
    assert not list(tmp_path.rglob("history.db*"))


def test_an_output_path_that_is_a_file_is_exit_2(
    tmp_path: Path, write_config: Callable[..., Path], no_collection: None
) -> None:
    (tmp_path / "out").write_text("a file")
    config = write_config(extra=f'[output]\ndir = "{tmp_path / "out"}"')
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-q"])
    assert result.exit_code == 2, result.output
    assert f"output directory {tmp_path / 'out'} is not a directory" in result.output
    assert not list(tmp_path.rglob("history.db*"))


def test_an_unwritable_directory_is_exit_2_before_collection(
    tmp_path: Path, write_config: Callable[..., Path], no_collection: None
) -> None:
    out = unwritable_dir(tmp_path)
    code, output = scan(write_config(), out)
    assert code == 2, output
    assert f"output directory {out} is not writable" in output
    assert "Traceback" not in output and "internal error" not in output
    assert not list(tmp_path.rglob("history.db*"))


def test_a_write_failing_after_the_check_keeps_the_previous_reports(
    tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out = write_config(), tmp_path / "out"
    assert scan(config, out)[0] == 1
    before = (out / "findings.json").read_bytes()

    def disk_full(self: object, name: str, content: bytes) -> None:
        raise OSError(28, "No space left on device", str(out / ".report-sets" / name))

    monkeypatch.setattr("residency_audit.report.delivery.ReportSet.add", disk_full)
    code, output = scan(config, out)
    assert code == 4, output
    assert "the reports could not be written" in output and "No space left" in output
    assert "Traceback" not in output
    assert (out / "findings.json").read_bytes() == before
    listed = CliRunner().invoke(cli, ["history", "list", "--db", str(out / "history.db")])
    assert "NOT DELIVERED" in listed.output  # the scan ran, but no report showed it

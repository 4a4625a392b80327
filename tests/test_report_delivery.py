"""Report sets in an output directory: what a user sees at OUTPUT/<name> across runs, older
versions' plain files, dropped formats and what killed runs leave behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

from residency_audit import report
from residency_audit.report.delivery import SETS_DIR, ReportSet, prepare_output_dir
from tests.report_builders import build_result

NAMES = report.report_names(report.FORMATS)


def scan_id(out: Path) -> str:
    data: dict[str, dict[str, str]] = json.loads((out / "findings.json").read_text("utf-8"))
    return data["scan"]["id"]


def test_plain_files_of_an_older_version_are_adopted_with_their_content(tmp_path: Path) -> None:
    old = {"findings.json": b'{"old": true}\n', "report.html": b"<html>OLD-REPORT-7f3</html>"}
    for name, content in old.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "notes.txt").write_text("mine")  # not a report: left alone
    prepare_output_dir(tmp_path, NAMES)
    for name, content in old.items():
        assert (tmp_path / name).is_symlink()
        assert (tmp_path / name).read_bytes() == content  # same content at the same path
    assert not (tmp_path / "notes.txt").is_symlink()

    report.write_reports(build_result(), tmp_path, formats=("json", "html"))
    assert scan_id(tmp_path) == build_result().scan.id
    assert b"OLD-REPORT-7f3" not in (tmp_path / "report.html").read_bytes()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_format_no_longer_written_disappears_instead_of_showing_an_older_scan(
    tmp_path: Path,
) -> None:
    report.write_reports(build_result(), tmp_path, formats=report.FORMATS)
    assert (tmp_path / "findings.xlsx").exists()
    report.write_reports(build_result(), tmp_path, formats=("json",))
    assert (
        not (tmp_path / "findings.xlsx").exists() and not (tmp_path / "findings.xlsx").is_symlink()
    )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        ["findings.json", "inventory.json"]
    )
    assert len(list((tmp_path / SETS_DIR).iterdir())) == 2  # current and its one set


def test_leftovers_of_dead_runs_go_and_a_live_runs_set_stays(tmp_path: Path) -> None:
    report.write_reports(build_result(), tmp_path)
    sets = tmp_path / SETS_DIR
    dead = 2**22 + 12345  # above pid_max's default: no such process
    (sets / f"set-{dead}-0badc0de").mkdir()
    (sets / f"set-{dead}-0badc0de" / "report.html").write_bytes(b"half a rep")
    os.symlink("nowhere", sets / f"current.new-{dead}-00ff00ff")
    (tmp_path / ".report.html.q1w2e3.tmp").write_bytes(b"x" * 4096)  # an older version's write
    with ReportSet(tmp_path) as live:  # another run, still writing its set
        live.add("findings.json", b"{}")
        prepare_output_dir(tmp_path, NAMES)
        assert live.directory.exists()
    current = os.readlink(sets / "current")
    assert sorted(p.name for p in sets.iterdir()) == sorted(["current", current])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [SETS_DIR]
    assert scan_id(tmp_path) == build_result().scan.id


def test_the_output_directory_can_be_moved_as_a_whole(tmp_path: Path) -> None:
    report.write_reports(build_result(), tmp_path / "a")
    (tmp_path / "a").rename(tmp_path / "b")
    assert scan_id(tmp_path / "b") == build_result().scan.id

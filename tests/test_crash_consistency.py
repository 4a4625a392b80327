"""A scan SIGKILLed at any point leaves the previous complete report set or the new one, never a
mix, and a history that counts as reported only what a delivered report showed.

A 5,000-bucket estate (the demo estate's buckets cloned, served by the fixture provider) is
scanned once to completion; then the estate grows by 50 buckets (new findings) and scans are
SIGKILLed one after another at ten points spread over the run: collection, evaluation, the
history's first transaction, each report writer (xlsx included), and the history's delivery
transaction. Each run starts where the killed one before it left off, so each is also the
"next run" that must clean up after its predecessor. After every kill the reports at
``OUTPUT/<name>`` must parse and name one scan, and SQLite's integrity check must pass; a final
complete ``--new-only`` run must call exactly the 50 new buckets' findings new (no killed run
delivered a report of them), remove every leftover, and exit 1.

How the kills are placed: a helper process (``KILLER`` below) imports the CLI, patches a few
functions to SIGKILL their own process when the named point is reached -- e.g. half-way through
writing a report file, or when the delivery transaction's first UPDATE has run -- and then serves
as a fork server: every scan is a forked child that runs the CLI's ``main()`` and dies by a real
SIGKILL. Nothing in the product knows about the test; the patches only add the kill. Watching the
output directory from outside instead would miss the phases that write nothing (collection,
evaluation) and race the ones that do. The fork server saves each of the twelve scans the 1.5 s
of imports; the scans themselves (~12 s CPU each when complete) are what this test costs. The
xlsx point proves a killed workbook write never shows; a complete workbook's contents are
tests/test_report_xlsx.py's subject (rendering one for 5,000 buckets alone costs ~12 s).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from residency_audit.model import Inventory
from tests.report_builders import demo_inventory

BUCKETS = 5_000
ADDED = 50  # buckets the estate gains after the first scan: their findings are new

# (kill point, formats of that run); a point after the swap leaves the new set visible
POINTS: tuple[tuple[str, str], ...] = (
    ("collection", "basic"),
    ("evaluation", "basic"),
    ("history-begin", "basic"),
    ("writer:inventory.json", "basic"),
    ("writer:findings.json", "basic"),
    ("writer:findings.csv", "basic"),
    ("writer:inventory.csv", "basic"),
    ("writer:report.html", "basic"),
    ("writer:findings.xlsx", "xlsx"),
    ("history-deliver", "basic"),
)
AFTER_SWAP = {"history-deliver"}
FORMATS = {"basic": '"json", "csv", "html"', "xlsx": '"json", "csv", "html", "xlsx"'}

KILLER = r"""
import json, os, signal, sys, threading, traceback
from pathlib import Path

from residency_audit import fixture_provider, report, scan
from residency_audit.cli import main
from residency_audit.history import store
from residency_audit.report import delivery

run = {"point": "none", "marker": ""}  # set in each forked child before it runs the CLI


def armed(point):
    return run["point"] == point


dying = threading.Lock()  # collection runs in threads: the first one to get here kills


def die():
    dying.acquire()
    Path(run["marker"]).write_text(run["point"])
    os.kill(os.getpid(), signal.SIGKILL)


buckets = fixture_provider.FixtureProvider.buckets


def some_buckets(self, scope):
    for i, item in enumerate(buckets(self, scope)):
        if i == 100 and armed("collection"):
            die()
        yield item


fixture_provider.FixtureProvider.buckets = some_buckets
class Rules(scan.Evaluator):
    def bucket(self, bucket):  # its locations resolved and it is classified; the rules start
        if armed("evaluation"):
            die()
        return super().bucket(bucket)


scan.Evaluator = Rules
make_engine = store._engine.make_engine


def killing_engine(url, **kw):
    from sqlalchemy import event

    built = make_engine(url, **kw)
    batches = [0]

    @event.listens_for(built, "after_cursor_execute")
    def spy(conn, cursor, statement, params, context, executemany):
        if armed("history-begin") and statement.startswith("INSERT INTO scan_findings"):
            batches[0] += 1
            if batches[0] == 2:  # 500 of the scan's finding rows written, uncommitted
                die()
        if armed("history-deliver") and statement.startswith("UPDATE finding_history"):
            die()

    return built


store._engine.make_engine = killing_engine
add = delivery.ReportSet.add


def add_or_die(self, name, content):
    if not isinstance(content, bytes):  # a writer that streams its file: the whole of it here
        content = b"".join(content)
    if armed(f"writer:{name}"):
        with open(self.directory / name, "wb") as handle:  # half the file, as a kill leaves it
            handle.write(content[: len(content) // 2])
            handle.flush()
        die()
    add(self, name, content)


delivery.ReportSet.add = add_or_die
((xlsx_name, xlsx),) = report.OUTPUT_FILES["xlsx"]


def xlsx_or_die(result, lang):  # rendering the workbook alone costs ~12 s: kill as it starts
    if armed("writer:findings.xlsx"):
        die()
    return xlsx(result, lang)


report.OUTPUT_FILES["xlsx"] = ((xlsx_name, xlsx_or_die),)

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            for fd, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            run.update(point=request["point"], marker=request["marker"])
            sys.argv = ["residency-audit", *request["args"]]
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


@dataclass
class Run:
    returncode: int
    stderr: str


class Scanner:
    """Talks to the fork server: one CLI scan per call, SIGKILLed at ``point`` unless "none"."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.server = subprocess.Popen(
            [sys.executable, str(work / "killer.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )

    def scan(self, point: str, formats: str) -> Run:
        marker = self.work / "killed-at"
        marker.unlink(missing_ok=True)
        config = self.work / f"scan-{formats}.toml"
        out = str(self.work / "out")
        request = {
            "point": point,
            "marker": str(marker),
            "args": ["scan", "--config", str(config), "-o", out, "-q", "--new-only"],
            "stdout": str(self.work / "scan.out"),
            "stderr": str(self.work / "scan.err"),
        }
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, "the fork server died"
        done = Run(json.loads(reply)["code"], (self.work / "scan.err").read_text())
        if point != "none":
            assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr)
            assert marker.read_text() == point
        return done

    def close(self) -> None:
        assert self.server.stdin is not None
        self.server.stdin.close()
        self.server.wait(timeout=30)


def estate(n: int) -> Inventory:
    demo = demo_inventory()
    clones = []
    for i in range(n):
        t = demo.buckets[i % len(demo.buckets)]
        suffix = f"-{i:05d}"
        clones.append(t.model_copy(update={"name": t.name + suffix, "uid": t.uid + suffix}))
    return demo.model_copy(update={"buckets": tuple(clones)})


_VERIFIED: dict[tuple[tuple[int, int, int, int], ...], tuple[str, set[str]]] = {}
REPORTS = ("inventory.json", "findings.json", "findings.csv", "inventory.csv", "report.html")


def visible_set(out: Path) -> tuple[str, set[str]]:
    """Parse every report at its usual path; all must be of one scan. Returns the scan id and
    the fingerprints findings.json shows.

    Files already parsed (same inode, size and mtime behind every path: a set is never written
    in place) are not parsed again; that saves ~1 s a check and proves nothing less."""
    stats = []
    for name in REPORTS:
        st = os.stat(out / name) if (out / name).exists() else None
        stats.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) if st else (0, 0, 0, 0))
    key = tuple(stats)
    if key not in _VERIFIED:
        _VERIFIED[key] = _parse_set(out)
    return _VERIFIED[key]


def _parse_set(out: Path) -> tuple[str, set[str]]:
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    inventory = json.loads((out / "inventory.json").read_text(encoding="utf-8"))
    scan_id = findings["scan"]["id"]
    assert inventory["scan_id"] == scan_id
    rows = list(csv.DictReader(io.StringIO((out / "findings.csv").read_text("utf-8-sig"))))
    assert {r["scan_id"] for r in rows} == {scan_id}
    assert {r["fingerprint"] for r in rows} == {f["fingerprint"] for f in findings["findings"]}
    buckets = list(csv.DictReader(io.StringIO((out / "inventory.csv").read_text("utf-8-sig"))))
    assert {r["uid"] for r in buckets} == {b["uid"] for b in inventory["buckets"]}
    page = (out / "report.html").read_text(encoding="utf-8")
    parser = HTMLParser()
    parser.feed(page)
    parser.close()
    assert page.rstrip().endswith("</html>") and scan_id in page
    assert not (out / "findings.xlsx").exists()  # only the killed run wrote one
    return scan_id, {f["fingerprint"] for f in findings["findings"]}


def history(out: Path) -> list[tuple[str, bool]]:
    """(scan id, delivered) in recording order, after SQLite's own integrity check."""
    with sqlite3.connect(out / "history.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, delivered FROM scans ORDER BY seq").fetchall()
    return [(scan_id, bool(delivered)) for scan_id, delivered in rows]


def states(out: Path) -> dict[str, str]:
    data: list[dict[str, Any]] = json.loads((out / "findings.json").read_text("utf-8"))["findings"]
    return {f["fingerprint"]: f["state"] for f in data}


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[Scanner]:
    (tmp_path / "killer.py").write_text(KILLER, encoding="utf-8")
    for name, formats in FORMATS.items():
        (tmp_path / f"scan-{name}.toml").write_text(
            f'profile = "jp-default"\n[output]\nformats = [{formats}]\n'
            '[providers.fixture]\npath = "estate.json"\n',
            encoding="utf-8",
        )
    server = Scanner(tmp_path)
    yield server
    server.close()


def test_sigkill_anywhere_leaves_one_complete_set_and_an_honest_history(
    tmp_path: Path, scanner: Scanner
) -> None:
    out = tmp_path / "out"
    grown = estate(BUCKETS + ADDED)
    first_estate = grown.model_copy(update={"buckets": grown.buckets[:BUCKETS]})
    (tmp_path / "estate.json").write_text(first_estate.model_dump_json(), encoding="utf-8")
    first = scanner.scan("none", "basic")
    assert first.returncode == 1, first.stderr  # everything is new on a first scan
    baseline, baseline_findings = visible_set(out)
    assert history(out) == [(baseline, True)]
    shown = {baseline}

    (tmp_path / "estate.json").write_text(grown.model_dump_json(), encoding="utf-8")
    for point, formats in POINTS:
        scanner.scan(point, formats)
        scan_id, _ = visible_set(out)  # every file parses, and all are of one scan
        shown.add(scan_id)
        recorded = history(out)
        if point in AFTER_SWAP:
            assert scan_id != baseline and (scan_id, False) in recorded, point
        else:
            assert scan_id == baseline, point  # the previous set, untouched
        assert [s for s, done in recorded if done] == [baseline], point  # nothing counted shown

    legacy = out / ".report.html.k2j3x9.tmp"  # what an older version's killed write left
    legacy.write_bytes(b"x" * 1024)
    final = scanner.scan("none", "basic")
    final_id, final_findings = visible_set(out)
    shown.add(final_id)
    now = states(out)
    # the killed runs never delivered: what the last delivered report did not show is new
    assert {fp for fp, state in now.items() if state == "new"} == final_findings - baseline_findings
    assert final_findings - baseline_findings
    assert {now[fp] for fp in baseline_findings} == {"persisting"}
    assert final.returncode == 1, final.stderr  # --new-only: the new findings include high ones
    recorded = history(out)
    assert [s for s, done in recorded if done] == [baseline, final_id]
    assert {s for s, done in recorded if done} <= shown

    # nothing a killed run left behind survives the next complete run
    sets = out / ".report-sets"
    assert sorted(p.name for p in sets.iterdir()) == sorted(
        ["current", os.readlink(sets / "current")]
    )
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".report-sets"]
    assert not legacy.exists()

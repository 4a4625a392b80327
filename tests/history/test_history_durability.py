"""A scan killed mid-write leaves the history intact; concurrent scans wait or fail clearly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from residency_audit.history import HistoryLockedError, HistoryStore
from residency_audit.history.engine import normalize_url, write_transaction
from residency_audit.model import Finding, FindingState
from residency_audit.results import ScanResult

T0 = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)
MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]
Dump = Callable[[ScanResult, Path], tuple[Path, Path]]

# Records a scan. With a marker path it pauses inside the transaction after the second batch of
# finding rows, tells the test so, and waits to be killed. With go/ready paths it says it is ready
# and waits for the go, so two recorders open (and migrate) and record at the same moment.
RECORDER = """
import json, sys, time
from pathlib import Path
from sqlalchemy import event
from residency_audit.history import HistoryStore
from residency_audit.results import ScanResult

url, result_file, inventory_file, marker, go, ready = sys.argv[1:7]
data = json.loads(Path(result_file).read_text())
data["inventory"] = json.loads(Path(inventory_file).read_text())
result = ScanResult.model_validate(data)
if ready != "-":
    Path(ready).write_text("ready")
while go != "-" and not Path(go).exists():
    time.sleep(0.01)
store = HistoryStore.open(url)
batches = 0

@event.listens_for(store.engine, "after_cursor_execute")
def pause(conn, cursor, statement, params, context, executemany):
    global batches
    if marker != "-" and statement.startswith("INSERT INTO scan_findings"):
        batches += 1
        if batches == 2:
            Path(marker).write_text("in the transaction")
            time.sleep(120)

store.record(result)
"""


def many(finding: MakeF, prefix: str, n: int) -> list[Finding]:
    return [finding(f"{prefix}-{i:05d}") for i in range(n)]


def sqlite_integrity(url: str) -> str:
    path = make_url(url).database
    assert path
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_scan_killed_mid_write_leaves_history_intact(
    db_url: str, tmp_path: Path, finding: MakeF, result: MakeR, dump_result: Dump
) -> None:
    kept = many(finding, "kept", 5)
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", kept[:3], started=T0))
        before = store.record(result("scan-2", kept, started=T0 + timedelta(days=1)))

    big = result("scan-3", many(finding, "big", 1100), started=T0 + timedelta(days=2))
    files = dump_result(big, tmp_path)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", RECORDER, db_url, *map(str, files), str(marker), "-", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the recorder never reached the findings"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    if db_url.startswith("sqlite"):
        assert sqlite_integrity(db_url) == "ok"
    with HistoryStore.open(db_url, busy_timeout=5) as store:
        assert [s.id for s in store.list_scans()] == ["scan-2", "scan-1"]
        assert store.get_scan("scan-2").model_dump(mode="json") == before.model_dump(mode="json")
        # nothing of the killed scan is left: the same scan records cleanly, against scan-2
        again = store.record(big)
        assert again.previous_scan_id == "scan-2"
        assert len(again.resolved) == 5
        assert {f.state for f in again.findings} == {FindingState.NEW}


def test_two_scans_at_once_both_land_one_after_the_other(
    empty_db_url: str, tmp_path: Path, finding: MakeF, result: MakeR, dump_result: Dump
) -> None:
    # a brand-new database: the two also race to create the schema
    db_url = empty_db_url
    go = tmp_path / "go"
    procs = []
    for name in ("left", "right"):
        d = tmp_path / name
        d.mkdir()
        files = dump_result(result(f"scan-{name}", many(finding, name, 300), started=T0), d)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    RECORDER,
                    db_url,
                    *map(str, files),
                    "-",
                    str(go),
                    str(d / "ready"),
                ],
                stderr=subprocess.PIPE,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / n / "ready").exists() for n in ("left", "right")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    go.write_text("go")  # both are loaded: release them to open (and migrate) and record at once
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    if db_url.startswith("sqlite"):
        assert sqlite_integrity(db_url) == "ok"
    with HistoryStore.open(db_url) as store:
        scans = store.list_scans()
        assert sorted(s.id for s in scans) == ["scan-left", "scan-right"]
        # serialised: the later one saw the earlier one as its previous scan
        assert scans[0].previous_scan_id == scans[1].id
        assert all(s.findings == 300 for s in scans)


def test_a_scan_that_cannot_get_the_write_lock_fails_clearly(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    HistoryStore.open(db_url).close()
    url = normalize_url(db_url)
    with HistoryStore.open(db_url, busy_timeout=0.3) as impatient:
        holder = HistoryStore.open(db_url)
        with write_transaction(holder.engine, "holding", url):
            started = time.monotonic()
            with pytest.raises(HistoryLockedError, match="locked by another scan") as err:
                impatient.record(result("scan-1", [finding("a")], started=T0))
            assert time.monotonic() - started < 10
        holder.close()
        assert "password" not in str(err.value)
        assert impatient.scan_count() == 0


def test_a_second_scan_waits_for_the_first(db_url: str, finding: MakeF, result: MakeR) -> None:
    HistoryStore.open(db_url).close()
    url = normalize_url(db_url)
    holder = HistoryStore.open(db_url)
    released = threading.Event()

    def hold() -> None:
        with write_transaction(holder.engine, "holding", url):
            ready.set()
            time.sleep(0.6)
        released.set()

    ready = threading.Event()
    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(10)
    with HistoryStore.open(db_url, busy_timeout=20) as patient:
        started = time.monotonic()
        patient.record(result("scan-1", [finding("a")], started=T0))
        assert released.is_set()
        assert time.monotonic() - started >= 0.3
    thread.join()
    holder.close()

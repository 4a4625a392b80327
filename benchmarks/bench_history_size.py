"""History size benchmark: how much one 5,000-bucket scan of an unchanged estate adds to SQLite.

Records ``--scans`` scans (default 3) of the demo estate's buckets cloned to ``--buckets``
(default 5,000; ~10,900 findings) and prints the database size after each, checkpointed and
vacuumed. Then downgrades a copy to schema revision 0003 -- where every scan kept its own JSON of
every bucket and finding -- and prints that size, which is what the same scans cost before
revision 0004 stored each distinct document once.

    .venv/bin/python benchmarks/bench_history_size.py --buckets 5000 --scans 3
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402

from residency_audit.history import HistoryStore  # noqa: E402
from residency_audit.history.engine import alembic_config, write_transaction  # noqa: E402
from tests.report_builders import synthetic_result  # noqa: E402


def compacted_size(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("VACUUM")
    conn.close()
    return db.stat().st_size


def downgraded_size(db: Path) -> int:
    """The same history in the revision-0003 layout: every row with its own JSON."""
    with (
        HistoryStore.open(str(db)) as store,
        write_transaction(store.engine, "downgrading", store._url, migrating=True) as conn,
    ):
        command.downgrade(alembic_config(conn), "0003")
    return compacted_size(db)


def report(layout: str, first: int, last: int, scans: int) -> None:
    further = (last - first) / max(1, scans - 1)
    print(f"{layout}: first scan {first / 1e6:.1f} MB, each further scan {further / 1e6:.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=5_000)
    parser.add_argument("--scans", type=int, default=3)
    args = parser.parse_args()
    result = synthetic_result(args.buckets, history=False)
    print(f"buckets {args.buckets}, findings {len(result.findings)}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.db"
        sizes, copies = [], []
        for i in range(args.scans):
            scan = result.model_copy(
                update={"scan": result.scan.model_copy(update={"id": f"scan-{i}"})}
            )
            t0 = time.perf_counter()
            with HistoryStore.open(str(db)) as store:
                store.record(scan)
            took = time.perf_counter() - t0
            sizes.append(compacted_size(db))
            print(f"after scan {i + 1}: {sizes[-1] / 1e6:.1f} MB (record {took:.1f} s)")
            if i in (0, args.scans - 1):
                copies.append(Path(tmp) / f"history-{i + 1}.db")
                shutil.copy(db, copies[-1])
        report("revision 0004 (each distinct document once)", sizes[0], sizes[-1], args.scans)
        old = [downgraded_size(copy) for copy in copies]
        report("revision 0003 (a copy per scan)", old[0], old[-1], args.scans)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

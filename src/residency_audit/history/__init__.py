"""Scan history: every scan's metadata, inventory and findings in SQLite or PostgreSQL, the state
of each finding against the scans before it, accepted exceptions (suppressions), and the gate that
decides a scheduled run's exit code.

Typical use (what ``scan --history URL --suppressions FILE --fail-on high --new-only`` does)::

    sups = load_suppressions(Path("suppressions.toml"))
    with HistoryStore.open("sqlite:///reports/history.db") as store:
        result = store.record(result, suppressions=sups)
    exit_1 = fails(result, Severity.HIGH, new_only=True)

What the CLI does, so that the history never counts a scan whose reports nobody received::

    with HistoryStore.open(url) as store:
        pending = store.begin(result, suppressions=sups)   # recorded, not delivered
    write_reports(pending.result, out_dir)                  # swapped in as one set
    with HistoryStore.open(url) as store:
        store.deliver(pending)                              # now it counts

Without a history store, :func:`apply_suppressions` still marks suppressed and stale entries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..gate import failing_findings, fails
from ..model import Finding
from ..results import ScanResult
from ..spill import builder_like
from . import ledger as _ledger  # noqa: F401  (puts the ticket ledger on Base.metadata)
from .diff import ScanDiff, diff_findings
from .errors import HistoryError, HistoryInputError, HistoryLockedError, ScanNotFoundError
from .states import Track
from .store import HistoryStore, PendingScan, ScanSummary
from .suppressions import Suppression, Suppressions, load_suppressions

__all__ = [
    "HistoryError",
    "HistoryInputError",
    "HistoryLockedError",
    "HistoryStore",
    "PendingScan",
    "ScanDiff",
    "ScanNotFoundError",
    "ScanSummary",
    "Suppression",
    "Suppressions",
    "Track",
    "apply_suppressions",
    "diff_findings",
    "failing_findings",
    "fails",
    "load_suppressions",
]


def apply_suppressions(
    result: ScanResult, suppressions: Suppressions, *, now: datetime | None = None
) -> ScanResult:
    """Mark suppressed findings and stale suppressions without a history (states stay None).

    One pass; the marked findings go to disk when the scan's are (a Spill), one at a time."""
    matcher = suppressions.matcher((now or datetime.now(UTC)).date())
    marked = builder_like(result.findings, Finding)
    for f in result.findings:
        marked.add(f.model_copy(update={"suppression": matcher(f)}))
    return result.model_copy(
        update={"findings": marked.finish(), "stale_suppressions": matcher.stale}
    )

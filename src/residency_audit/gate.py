"""The exit-code gate of scheduled runs: ``scan --fail-on SEVERITY [--new-only]``."""

from __future__ import annotations

from collections.abc import Iterator

from .model import Finding, FindingState, Severity
from .results import ScanResult

__all__ = ["failing_findings", "fails"]

# Without a history every finding counts as new: not knowing it is old is not knowing it is safe.
_NEW = (FindingState.NEW, FindingState.REOPENED, None)


def _failing(result: ScanResult, threshold: Severity, new_only: bool) -> Iterator[Finding]:
    for f in result.findings:
        if (
            f.severity.rank >= threshold.rank
            and f.suppression is None
            and (not new_only or f.state in _NEW)
        ):
            yield f


def failing_findings(
    result: ScanResult, threshold: Severity, *, new_only: bool = False
) -> tuple[Finding, ...]:
    """Unsuppressed findings at or above ``threshold`` (only new or reopened ones if asked)."""
    return tuple(_failing(result, threshold, new_only))


def fails(result: ScanResult, threshold: Severity, new_only: bool = False) -> bool:
    """True when the run should exit 1: stops at the first failing finding (findings come worst
    first), without keeping any."""
    return next(_failing(result, threshold, new_only), None) is not None

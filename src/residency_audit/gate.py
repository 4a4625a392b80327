"""The exit-code gate of scheduled runs: ``scan --fail-on SEVERITY [--new-only]``."""

from __future__ import annotations

from .model import Finding, FindingState, Severity
from .results import ScanResult

__all__ = ["failing_findings", "fails"]

# Without a history every finding counts as new: not knowing it is old is not knowing it is safe.
_NEW = (FindingState.NEW, FindingState.REOPENED, None)


def failing_findings(
    result: ScanResult, threshold: Severity, *, new_only: bool = False
) -> tuple[Finding, ...]:
    """Unsuppressed findings at or above ``threshold`` (only new or reopened ones if asked)."""
    return tuple(
        f
        for f in result.findings
        if f.severity.rank >= threshold.rank
        and f.suppression is None
        and (not new_only or f.state in _NEW)
    )


def fails(result: ScanResult, threshold: Severity, new_only: bool = False) -> bool:
    """True when the run should exit 1."""
    return bool(failing_findings(result, threshold, new_only=new_only))

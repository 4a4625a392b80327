"""Differences between two recorded scans, by fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Finding
from ..results import ScanMeta, ScanResult
from .states import blocked_resolution

__all__ = ["ScanDiff", "diff_findings"]


@dataclass(frozen=True)
class ScanDiff:
    a: ScanMeta
    b: ScanMeta
    new: tuple[Finding, ...]  # in B, not in A (B's record, with its state)
    resolved: tuple[Finding, ...]  # in A, not in B, and B collected its scope completely
    unconfirmed: tuple[Finding, ...]  # in A, not in B, but B could not fully collect its scope
    persisting: tuple[Finding, ...]  # in both (B's record)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.resolved or self.unconfirmed)


def diff_findings(a: ScanResult, b: ScanResult) -> ScanDiff:
    """Compare ``a`` (before) with ``b`` (after). Absence from an incomplete scope is not a fix."""
    before = {f.fingerprint: f for f in a.findings}
    after = {f.fingerprint: f for f in b.findings}
    complete, hidden = blocked_resolution(b.inventory)
    resolved: list[Finding] = []
    unconfirmed: list[Finding] = []
    for fp, finding in before.items():
        if fp in after:
            continue
        uid = finding.resource.uid if finding.resource else None
        if (finding.provider, finding.scope) in complete and uid not in hidden:
            resolved.append(finding)
        else:
            unconfirmed.append(finding)
    return ScanDiff(
        a=a.scan,
        b=b.scan,
        new=tuple(f for fp, f in after.items() if fp not in before),
        resolved=tuple(resolved),
        unconfirmed=tuple(unconfirmed),
        persisting=tuple(f for fp, f in after.items() if fp in before),
    )

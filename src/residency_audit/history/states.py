"""How a scan's findings relate to the history before it (pure: no database here).

Per fingerprint:

* ``new``        never seen before;
* ``persisting`` open since an earlier scan (first seen then, last seen now);
* ``reopened``   resolved by an earlier scan and back, or no longer covered by the exception that
  covered it last time (the exception expired or was removed);
* ``resolved``   open before, absent now, and its scope was collected COMPLETELY in this scan.

A scope that is incomplete, failed or not scanned at all resolves nothing: the finding stays open
and silently carries over. So does a finding about a bucket that is still there but has a setting
this scan could not read which may hide a copy -- unknown is never taken for fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from ..model import Finding, FindingState, Inventory, ScopeStatus, SuppressionRef
from ..results import ScanResult
from .suppressions import Suppressions

__all__ = ["Outcome", "Track", "annotate", "blocked_resolution"]


@dataclass(frozen=True)
class Track:
    """One fingerprint's history as of the end of some scan."""

    fingerprint: str
    provider: str
    scope: str
    first_seen: datetime
    last_seen: datetime
    first_scan_id: str
    last_scan_id: str
    open: bool
    # the last occurrence; the store reads it only where it is needed (an open track absent from
    # the new scan, which may resolve), so a persisting finding costs no parsing
    finding: Finding | None
    resolved_at: datetime | None = None
    resolved_scan_id: str | None = None
    suppression_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    tracks: dict[str, Track]  # every track this scan changed or created
    matched: dict[str, int]  # suppression id -> findings matched
    stale: tuple[str, ...]


def blocked_resolution(inventory: Inventory) -> tuple[set[tuple[str, str]], set[str]]:
    """(scopes that may resolve findings, bucket uids whose unread settings may hide a copy)."""
    complete = {(s.provider, s.scope) for s in inventory.scopes if s.status is ScopeStatus.COMPLETE}
    hidden = {b.uid for b in inventory.buckets if any(g.may_hide_copy for g in b.gaps)}
    return complete, hidden


def annotate(
    result: ScanResult,
    previous: Mapping[str, Track],
    *,
    seen_at: datetime,
    today: date,
    suppressions: Suppressions | None = None,
) -> Outcome:
    """States, first/last seen and suppressions for ``result``; ``previous`` holds every open
    track plus the tracks of fingerprints present in ``result``."""
    scan_id = result.scan.id
    match = (suppressions or Suppressions()).match(result.findings, today)
    tracks: dict[str, Track] = {}
    findings: list[Finding] = []
    for finding, ref in zip(result.findings, match.refs, strict=True):
        fp = finding.fingerprint
        if fp in tracks:  # a duplicate fingerprint within one scan shares the first one's state
            seen = tracks[fp]
            state = next(f.state for f in findings if f.fingerprint == fp)
        else:
            before = previous.get(fp)
            state = _state(before, ref)
            seen = Track(
                fingerprint=fp,
                provider=finding.provider,
                scope=finding.scope,
                first_seen=before.first_seen if before else seen_at,
                last_seen=seen_at,
                first_scan_id=before.first_scan_id if before else scan_id,
                last_scan_id=scan_id,
                open=True,
                finding=finding,
                suppression_id=ref.id if ref else None,
            )
        annotated = finding.model_copy(
            update={
                "state": state,
                "first_seen": seen.first_seen,
                "last_seen": seen_at,
                "suppression": ref,
            }
        )
        tracks[fp] = replace(seen, finding=annotated)
        findings.append(annotated)

    complete, hidden = blocked_resolution(result.inventory)
    resolved: list[Finding] = []
    for fp, before in sorted(previous.items()):
        if not before.open or fp in tracks or (before.provider, before.scope) not in complete:
            continue
        if before.finding is None:
            raise ValueError(f"open track {fp} was passed without its last occurrence")
        resource = before.finding.resource
        if resource is not None and resource.uid in hidden:
            continue
        gone = before.finding.model_copy(
            update={
                "state": FindingState.RESOLVED,
                "first_seen": before.first_seen,
                "last_seen": before.last_seen,
                "suppression": None,
            }
        )
        tracks[fp] = replace(
            before, open=False, resolved_at=seen_at, resolved_scan_id=scan_id, finding=gone
        )
        resolved.append(gone)
    return Outcome(
        findings=tuple(findings),
        resolved=tuple(resolved),
        tracks=tracks,
        matched=match.matched,
        stale=match.stale,
    )


def _state(before: Track | None, ref: SuppressionRef | None) -> FindingState:
    if before is None:
        return FindingState.NEW
    if not before.open:
        return FindingState.REOPENED
    if before.suppression_id is not None and ref is None:
        return FindingState.REOPENED  # the exception that covered it expired or was withdrawn
    return FindingState.PERSISTING

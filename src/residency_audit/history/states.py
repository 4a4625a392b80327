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

A :class:`Judge` takes the findings one at a time, so that the store can write each annotated
finding as it goes: a scan's findings may be on disk (:class:`~residency_audit.spill.Spill`) and
are never all held as objects. What it keeps per fingerprint is a :class:`Track` -- the row the
history moves to -- not the finding.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter

from ..memo import Shared
from ..model import Bucket, Finding, FindingState, Inventory, ScopeStatus, SuppressionRef

__all__ = ["Judge", "Track", "blocked_resolution", "complete_scopes", "may_hide_copy"]


@dataclass(frozen=True, slots=True)
class Track:
    """One fingerprint's history as of the end of some scan (slotted: one per finding)."""

    fingerprint: str
    provider: str
    scope: str
    first_seen: datetime
    last_seen: datetime
    first_scan_id: str
    last_scan_id: str
    open: bool
    data_digest: str  # the last occurrence's stored document
    # the last occurrence parsed: only where a caller asks for it (HistoryStore.finding_history)
    finding: Finding | None = None
    resolved_at: datetime | None = None
    resolved_scan_id: str | None = None
    suppression_id: str | None = None


def complete_scopes(inventory: Inventory) -> set[tuple[str, str]]:
    """The (provider, scope) pairs collected completely: only these may resolve findings."""
    return {(s.provider, s.scope) for s in inventory.scopes if s.status is ScopeStatus.COMPLETE}


def may_hide_copy(bucket: Bucket) -> bool:
    """The bucket has a setting this scan could not read that may hide a copy."""
    return any(g.may_hide_copy for g in bucket.gaps)


def blocked_resolution(inventory: Inventory) -> tuple[set[tuple[str, str]], set[str]]:
    """(scopes that may resolve findings, bucket uids whose unread settings may hide a copy)."""
    return complete_scopes(inventory), {b.uid for b in inventory.buckets if may_hide_copy(b)}


class Judge:
    """One scan's findings judged against ``previous`` (every open track plus the tracks of the
    fingerprints in the scan), one finding at a time; :attr:`tracks` collects every track the
    scan changes or creates."""

    def __init__(
        self,
        previous: Mapping[str, Track],
        *,
        scan_id: str,
        seen_at: datetime,
        not_run: Container[str] = (),
    ) -> None:
        self.previous = previous
        self.scan_id = scan_id
        self.seen_at = seen_at
        self.not_run = not_run  # rules this scan left out: it did not look for their findings
        self.tracks: dict[str, Track] = {}
        self._shared = Shared()  # one copy of each provider and scope name

    def see(
        self,
        fingerprint: str,
        provider: str,
        scope: str,
        suppression_id: str | None,
        data_digest: str,
    ) -> tuple[FindingState, datetime]:
        """Record one occurrence; return its state and first seen."""
        before = self.previous.get(fingerprint)
        seen = self.tracks.get(fingerprint)
        if seen is not None:  # a duplicate fingerprint within one scan shares the first one's state
            self.tracks[fingerprint] = replace(seen, data_digest=data_digest)
            return _state(before, suppressed=seen.suppression_id is not None), seen.first_seen
        if before is not None:  # share the strings the history already holds
            fingerprint = before.fingerprint
            if before.data_digest == data_digest:
                data_digest = before.data_digest
        shared = self._shared
        self.tracks[fingerprint] = Track(
            fingerprint=fingerprint,
            provider=shared(provider),
            scope=shared(scope),
            first_seen=before.first_seen if before else self.seen_at,
            last_seen=self.seen_at,
            first_scan_id=before.first_scan_id if before else self.scan_id,
            last_scan_id=self.scan_id,
            open=True,
            data_digest=data_digest,
            suppression_id=suppression_id,
        )
        state = _state(before, suppressed=suppression_id is not None)
        return state, self.tracks[fingerprint].first_seen

    def annotate(self, finding: Finding, ref: SuppressionRef | None, data_digest: str) -> Finding:
        """``finding`` with its state, first/last seen and the exception covering it."""
        state, first_seen = self.see(
            finding.fingerprint,
            finding.provider,
            finding.scope,
            ref.id if ref else None,
            data_digest,
        )
        return finding.model_copy(
            update={
                "state": state,
                "first_seen": first_seen,
                "last_seen": self.seen_at,
                "suppression": ref,
            }
        )

    def may_resolve(self, complete: Iterable[tuple[str, str]]) -> list[Track]:
        """Open tracks absent from this scan whose scope it collected completely, by fingerprint:
        only their last occurrences need reading (to see whether their bucket hides a copy)."""
        scopes = set(complete)
        absent = (
            t
            for fp, t in self.previous.items()
            if t.open and fp not in self.tracks and (t.provider, t.scope) in scopes
        )
        return sorted(absent, key=attrgetter("fingerprint"))

    def resolve(self, before: Track, last: Finding, hidden: Container[str]) -> Finding | None:
        """The resolved entry for a track from :meth:`may_resolve` (``last`` its last occurrence),
        or None while its bucket's unread settings may hide a copy, or when its rule did not run
        (absent because nobody looked is not fixed)."""
        if last.resource is not None and last.resource.uid in hidden:
            return None
        if last.rule_id in self.not_run:
            return None
        self.tracks[before.fingerprint] = replace(
            before, open=False, resolved_at=self.seen_at, resolved_scan_id=self.scan_id
        )
        return last.model_copy(
            update={
                "state": FindingState.RESOLVED,
                "first_seen": before.first_seen,
                "last_seen": before.last_seen,
                "suppression": None,
            }
        )


def _state(before: Track | None, *, suppressed: bool) -> FindingState:
    if before is None:
        return FindingState.NEW
    if not before.open:
        return FindingState.REOPENED
    if before.suppression_id is not None and not suppressed:
        return FindingState.REOPENED  # the exception that covered it expired or was withdrawn
    return FindingState.PERSISTING

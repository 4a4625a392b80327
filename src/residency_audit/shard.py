"""Sharded live scans: which share of the work one shard owns, and how the shards' parts merge.

``scan --shard I/N`` (0-based, so a Kubernetes ``JOB_COMPLETION_INDEX`` or an Actions matrix
index maps directly) owns:

* every scope whose ``sha256("provider:scope") mod N`` is I, and
* in a scope listing more buckets than ``[scan] shard_split``, every bucket whose
  ``sha256("provider:scope:name") mod N`` is I -- one huge account no longer pins one worker.

A plugin that can filter after listing and before the per-bucket reads implements
:class:`residency_audit.plugins.ShardAware`; it asks :meth:`ShardPlan.share` with the listed count.
Every other plugin is sharded by whole scopes. Either way N shards cover everything exactly once.

Each shard records, per scope it took part in, how (:data:`WHOLE`, :data:`SPLIT`, or
:data:`UNKNOWN` when it failed before it could list). :func:`merge_scopes` turns the shards'
records back into the scope results one unsharded run would have produced, and marks a scope
incomplete wherever a share is missing -- never a silently partial "complete" scope.

Pure: no I/O. The plan is shared by the scan's worker threads, hence its lock.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .errors import InputError
from .model import CoverageNote, ScopeResult, ScopeStatus

__all__ = [
    "DEFAULT_SHARD_SPLIT",
    "SHARE_INTERSECT",
    "SPLIT",
    "UNKNOWN",
    "WHOLE",
    "BucketShare",
    "Mode",
    "ScopePart",
    "ShardPart",
    "ShardPlan",
    "ShardSpec",
    "merge_scopes",
    "missing_shards",
    "parse_shard",
    "slot",
]

Mode = Literal["whole", "split", "unknown"]
WHOLE: Mode = "whole"  # the shard owned the whole scope
SPLIT: Mode = "split"  # the scope was shared by bucket name; the shard read its share
UNKNOWN: Mode = "unknown"  # the shard failed before it could list (count unknown)

DEFAULT_SHARD_SPLIT = 5_000
# A note a share of a split scope yields whose ``counts`` hold this key lists names (its other
# counts keys, in order) after the last ": " of its detail -- regions found not enabled, say. The
# scope's note names only what every share found: AWS's region-not-enabled leaves out the regions
# a share's own buckets use, and another share's buckets may use others.
SHARE_INTERSECT = "share.intersect"

_SPEC = re.compile(r"^(\d{1,6})/(\d{1,6})$")


@dataclass(frozen=True)
class ShardSpec:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """``I/N`` with 0 <= I < N; anything else is an InputError (exit 2)."""
    match = _SPEC.match(text.strip())
    if match is None:
        raise InputError(f"--shard: {text!r} is not I/N (0-based, e.g. 0/4)")
    index, count = int(match[1]), int(match[2])
    if count < 1 or index >= count:
        raise InputError(f"--shard: {text!r}: the index must be 0..N-1 and N at least 1")
    return ShardSpec(index, count)


def slot(key: str, count: int) -> int:
    """The shard that owns ``key``: stable across machines, processes and Python versions
    (unlike ``hash()``, which is salted per process)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % count


@dataclass(frozen=True)
class BucketShare:
    """One shard's share of one listed scope."""

    provider: str
    scope: str
    spec: ShardSpec
    split: bool
    owns_scope: bool

    def owns(self, name: str) -> bool:
        if not self.split:
            return self.owns_scope
        return slot(f"{self.provider}:{self.scope}:{name}", self.spec.count) == self.spec.index


@dataclass
class ShardPlan:
    """One shard's share of the scan, and the record of how it took part in each scope."""

    spec: ShardSpec
    split: int = DEFAULT_SHARD_SPLIT
    _modes: dict[tuple[str, str], Mode] = field(default_factory=dict, repr=False)
    _seen: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _kept: list[ScopePart] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def saw(self, scopes: Iterable[tuple[str, str]]) -> None:
        """The (provider, scope) pairs a plugin listed (every shard lists them all: the
        assembly checks)."""
        self._seen.extend(scopes)

    def keep(self, result: ScopeResult, *, shard_aware: bool) -> bool:
        """Whether the shard reports this collected scope; records how it took part."""
        mode = UNKNOWN if result.scope == "*" else self.mode(result, shard_aware=shard_aware)
        if mode is not None:
            self._kept.append(ScopePart(result, mode))
        return mode is not None

    def part(self) -> ShardPart:
        return ShardPart(self.spec.index, tuple(self._seen), tuple(self._kept))

    def owns_scope(self, provider: str, scope: str) -> bool:
        return slot(f"{provider}:{scope}", self.spec.count) == self.spec.index

    def share(self, provider: str, scope: str, listed: int) -> BucketShare:
        """Called by a ShardAware plugin once a scope is listed, before any per-bucket read."""
        split = listed > self.split
        with self._lock:
            self._modes[(provider, scope)] = SPLIT if split else WHOLE
        return BucketShare(provider, scope, self.spec, split, self.owns_scope(provider, scope))

    def mode(self, result: ScopeResult, *, shard_aware: bool) -> Mode | None:
        """How this shard took part in the scope it collected; None: it owned none of it (the
        result is dropped). A scope whose plugin failed before listing is kept as UNKNOWN: the
        assembly decides whether its share mattered."""
        with self._lock:
            recorded = self._modes.get((result.provider, result.scope))
        if recorded == SPLIT:
            return SPLIT
        owner = self.owns_scope(result.provider, result.scope)
        if recorded == WHOLE or not shard_aware:
            return WHOLE if owner else None
        if result.status is ScopeStatus.FAILED:  # never listed: its share is not known
            return UNKNOWN
        return WHOLE if owner else None  # listed nothing, or never asked: whole by scope


@dataclass(frozen=True)
class ScopePart:
    result: ScopeResult
    mode: Mode


@dataclass(frozen=True)
class ShardPart:
    """What one finished shard recorded: the scopes every shard should have seen listed, and
    the scope results it took part in."""

    index: int
    seen: tuple[tuple[str, str], ...]
    scopes: tuple[ScopePart, ...]


def missing_shards(count: int, finished: Iterable[int]) -> list[int]:
    have = set(finished)
    return [i for i in range(count) if i not in have]


_WORST = {ScopeStatus.COMPLETE: 0, ScopeStatus.INCOMPLETE: 1, ScopeStatus.FAILED: 2}


def merge_scopes(parts: Sequence[ShardPart], count: int) -> tuple[ScopeResult, ...]:
    """The scope results one unsharded run would give, from every shard's parts.

    Order: the scopes as listed (every shard lists the same), then any a shard alone reported
    (a provider whose scope listing failed). A scope listed by some shard that no shard
    collected (the shards listed different scopes) is FAILED, saying so.
    """
    ordered = sorted(parts, key=lambda p: p.index)
    keys: dict[tuple[str, str], None] = {}
    for part in ordered:
        keys.update(dict.fromkeys(part.seen))
    entries: dict[tuple[str, str], list[tuple[int, ScopePart]]] = {}
    for part in ordered:
        for sp in part.scopes:
            key = (sp.result.provider, sp.result.scope)
            keys.setdefault(key, None)
            entries.setdefault(key, []).append((part.index, sp))
    merged = []
    for key in keys:
        got = entries.get(key)
        if not got:
            merged.append(
                ScopeResult(
                    provider=key[0],
                    scope=key[1],
                    status=ScopeStatus.FAILED,
                    error="no shard collected this scope (the shards listed different scopes)",
                )
            )
            continue
        seen_by = {p.index for p in ordered if key in p.seen}
        merged.append(_merge_one(got, count, seen_by))
    return tuple(merged)


def _merge_one(got: list[tuple[int, ScopePart]], count: int, seen_by: set[int]) -> ScopeResult:
    modes = {sp.mode for _, sp in got if sp.mode != UNKNOWN}
    if not modes:  # every shard that reported it failed before listing
        return got[0][1].result
    if len(modes) > 1:
        first = next(sp.result for _, sp in got if sp.mode != UNKNOWN)
        shards = ", ".join(f"{i} ({sp.mode})" for i, sp in got)
        return _incomplete(
            _combine([sp.result for _, sp in got]),
            f"the shards disagreed on whether {first.scope} is split by bucket (its bucket "
            f"count changed between their listings): shards {shards}; buckets may be missing "
            "or counted twice",
        )
    if modes == {WHOLE}:
        return next(sp.result for _, sp in got if sp.mode == WHOLE)
    split = [(i, sp.result) for i, sp in got if sp.mode == SPLIT]
    result = _combine([r for _, r in split])
    have = {i for i, _ in split}
    failed = {i: sp.result for i, sp in got if sp.mode == UNKNOWN}
    for index in range(count):
        if index in have:
            continue
        if index in failed:
            why = f"shard {index} could not list it: {failed[index].error}"
        elif index in seen_by:
            why = f"shard {index} did not report its share"
        else:
            why = f"shard {index} did not list this scope"
        result = _incomplete(result, f"{why}; that shard's share of the buckets is missing")
    return result


def _combine(results: Sequence[ScopeResult]) -> ScopeResult:
    """The shares of a split scope as one result: buckets added up, the worst status, each
    distinct note once (in the order the shares gave them)."""
    first = results[0]
    status = max((r.status for r in results), key=_WORST.__getitem__)
    total = sum(r.bucket_count for r in results)
    if status is ScopeStatus.FAILED and total:
        status = ScopeStatus.INCOMPLETE  # some shares were read: the rest is missing
    return first.model_copy(
        update={
            "status": status,
            "error": next((r.error for r in results if r.error), None),
            "bucket_count": total,
            "notes": _merge_notes([r.notes for r in results]),
        }
    )


def _merge_notes(shares: Sequence[Sequence[CoverageNote]]) -> tuple[CoverageNote, ...]:
    merged: list[CoverageNote] = []  # notes hold a dict (counts): compared, not hashed
    intersect: dict[str, list[CoverageNote]] = {}
    for notes in shares:
        for note in notes:
            if SHARE_INTERSECT in note.counts:
                intersect.setdefault(note.kind, []).append(note)
            elif note not in merged:
                merged.append(note)
    for kind, notes in intersect.items():
        if len(notes) < len(shares):
            continue  # a share found nothing to name: nothing is named by every share
        names = [n for n in notes[0].counts if n != SHARE_INTERSECT]
        common = [n for n in names if all(n in other.counts for other in notes[1:])]
        if common:
            head = notes[0].detail.rpartition(": ")[0]
            merged.append(
                notes[0].model_copy(
                    update={"detail": f"{head}: {', '.join(common)}", "counts": {}, "kind": kind}
                )
            )
    return tuple(merged)


def _incomplete(result: ScopeResult, detail: str) -> ScopeResult:
    note = CoverageNote(
        kind="shard-missing",
        detail=detail,
        affects_completeness=True,
        buckets_missing=True,
    )
    status = ScopeStatus.FAILED if result.status is ScopeStatus.FAILED else ScopeStatus.INCOMPLETE
    return result.model_copy(update={"status": status, "notes": (*result.notes, note)})

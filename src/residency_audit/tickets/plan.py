"""The sync's plan: what it would do (or did) per tracker and bucket, and how to show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..results import ScanResult
from .buckets import FlaggedBucket
from .content import clean
from .sinks.base import Ticket

__all__ = ["TRACKER_CHANGES", "Action", "SyncPlan"]

# kinds that change the tracker; the rest only update the ledger (or do nothing)
TRACKER_CHANGES = frozenset({"create", "comment", "close", "reopen", "recreate"})


@dataclass
class Action:
    sink: str
    kind: str  # create comment close reopen recreate | adopt wontfix closed hold suppressed
    key: str
    bucket: str  # bucket name (for people)
    reason: str
    provider: str = ""
    scope: str = ""
    flagged: FlaggedBucket | None = None
    ticket: Ticket | None = None  # the ticket acted on (or found)
    adopt: bool = False  # the ticket is on the tracker but not (yet) in the ledger
    previous: tuple[str, ...] = ()  # earlier tickets a new one cites
    done: bool = False
    error: str | None = None
    result: str | None = None  # the ticket reference after the action

    def as_json(self) -> dict[str, Any]:
        return {
            "tracker": self.sink,
            "action": self.kind,
            "bucket": self.bucket,
            "provider": self.provider,
            "scope": self.scope,
            "bucket_key": self.key,
            "ticket": self.result or (self.ticket.ref if self.ticket else None),
            "reason": self.reason,
            "done": self.done,
            "error": self.error,
        }


@dataclass
class SyncPlan:
    applied: bool
    scan_id: str
    actions: list[Action] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # the scan result with won't-fix tickets shown as suppressions on their findings
    result: ScanResult | None = None

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.kind in TRACKER_CHANGES]

    def as_json(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "applied": self.applied,
            "actions": [a.as_json() for a in self.actions],
            "errors": self.errors,
        }

    def render(self) -> str:
        verb = "done" if self.applied else "planned (run with --apply to change the trackers)"
        lines = [f"tickets for scan {clean(self.scan_id)}: {len(self.changes)} change(s) {verb}"]
        for a in self.actions:
            ref = a.result or (a.ticket.ref if a.ticket else "-")
            state = ""
            if self.applied and a.kind in TRACKER_CHANGES:
                state = " [done]" if a.done else (" [FAILED]" if a.error else " [not run]")
            lines.append(
                f"  {a.sink:<10} {a.kind:<10} {clean(ref):<14} {clean(a.bucket)} "
                f"({a.provider}:{clean(a.scope)}) — {a.reason}{state}"
            )
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)

"""What the report says, computed once from a ScanResult: summary counts, per-item status,
attestations, what changed since the previous scan, suppressed findings and country tiers.

Shared by the HTML page and the workbook so both say the same thing. Suppressed findings are
accepted exceptions: they are listed in their own section and counted separately, never in the
active counts, and never dropped.

The findings may be on disk (a :class:`~residency_audit.spill.Spill`: each pass parses every
finding again), so each view is a tally fed one finding at a time, in report order, that keeps
only counts and capped lists (:class:`Capped`); a caller feeds every tally from one loop. The
functions (``item_views``, ``changes``, ``country_tiers``) are the same tallies over one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar, overload

from ..guideline import GuidelineItem
from ..model import Finding, FindingState
from ..results import ScanResult
from ..rules import Attestation, EvaluationSettings
from ..rules.attestations import ATTESTED_ITEMS
from .facts import SEVERITIES_WORST_FIRST, finding_sort_key
from .guideline_ref import guideline_reference

__all__ = [
    "LIST_CAP",
    "AttestationRow",
    "Capped",
    "ChangeTally",
    "Changes",
    "ItemTally",
    "ItemView",
    "Keep",
    "SuppressedTally",
    "TierTally",
    "attestation_rows",
    "capped",
    "country_tiers",
]

TOP_PER_ITEM = 5
LIST_CAP = 100  # entries kept of a list that can grow with the estate (the page's own cap)
# the rules' own warning window, so the report and the findings agree on "expiring"
EXPIRY_WARNING_DAYS: int = EvaluationSettings.model_fields["expiry_warning_days"].default

# rule id -> the tier the finding's country is in (profile-independent: the rules decided it)
_TIER_RULES = {
    "location.concern": "concern",
    "location.government-access": "gov",
    "location.caution": "caution",
}
_TIER_ORDER = ("concern", "gov", "caution")

# an item ID the guideline data does not know: no gist, no treatment
_NO_TEXT = GuidelineItem(id="", gist_ja="", gist_en="", treatment_en="", treatment_ja="")

T = TypeVar("T")


class Capped(Generic[T]):
    """The first few items of a list that can grow with the estate, and how many it has in all.

    ``len()`` is the whole count (what the page says, ``| length`` in a template); iterating
    and slicing give only the kept items.
    """

    __slots__ = ("kept", "total")

    def __init__(self, kept: Iterable[T], total: int | None = None) -> None:
        self.kept = tuple(kept)
        self.total = len(self.kept) if total is None else total

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.kept)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.kept[index]

    def __repr__(self) -> str:
        return f"Capped({len(self.kept)} of {self.total})"


class Keep(Generic[T]):
    """Keeps the first ``limit`` items offered and counts every one."""

    __slots__ = ("_items", "_limit", "total")

    def __init__(self, limit: int) -> None:
        self._items: list[T] = []
        self._limit = limit
        self.total = 0

    def add(self, item: T) -> None:
        self.total += 1
        if len(self._items) < self._limit:
            self._items.append(item)

    def capped(self) -> Capped[T]:
        return Capped(self._items, self.total)


def capped(items: Sequence[T] | Capped[T], limit: int) -> tuple[Sequence[T], int]:
    """The first ``limit`` items and how many more there are (lists that can reach 20,000)."""
    shown = items[:limit]
    return shown, len(items) - len(shown)


class SuppressedTally:
    """Active findings per severity, and the suppressed ones: the first ``limit`` (in the order
    fed), how many, and how many of them are unverified."""

    def __init__(self, limit: int = LIST_CAP) -> None:
        self.totals = {s.value: 0 for s in SEVERITIES_WORST_FIRST}
        self.active = 0
        self.unverified_suppressed = 0
        self._suppressed: Keep[Finding] = Keep(limit)

    def add(self, f: Finding) -> None:
        if f.suppression is None:
            self.active += 1
            self.totals[f.severity.value] += 1
            return
        self._suppressed.add(f)
        self.unverified_suppressed += f.unverified

    def suppressed(self) -> Capped[Finding]:
        return self._suppressed.capped()


@dataclass(frozen=True)
class AttestationRow:
    provider: str
    scope: str
    item: str
    reviewed_on: date
    reviewer: str
    expires: date
    note: str
    days_left: int
    status: str  # valid / expiring / expired (as of the scan date)


def attestation_rows(attestations: Iterable[Attestation], as_of: date) -> list[AttestationRow]:
    rows = []
    for a in attestations:
        days = (a.expires - as_of).days
        status = "expired" if days < 0 else "expiring" if days <= EXPIRY_WARNING_DAYS else "valid"
        rows.append(
            AttestationRow(
                provider=a.provider,
                scope=a.scope,
                item=a.item,
                reviewed_on=a.reviewed_on,
                reviewer=a.reviewer,
                expires=a.expires,
                note=a.note,
                days_left=days,
                status=status,
            )
        )
    return sorted(rows, key=lambda r: (r.item, r.provider, r.scope, r.expires))


@dataclass(frozen=True)
class ItemView:
    id: str
    gist_ja: str
    gist_en: str
    treatment_ja: str
    treatment_en: str
    status: str  # action / review / info / accepted / clear / clear-incomplete
    counts: dict[str, int]  # active findings per severity
    total: int  # active findings
    suppressed: int
    unverified: int
    top: list[Finding]  # the worst few active findings
    attestations: list[AttestationRow] | None  # only for (1)-1 and (2)-3


def _status(counts: dict[str, int], suppressed: int, complete: bool) -> str:
    if counts["critical"] or counts["high"]:
        return "action"
    if counts["medium"] or counts["low"]:
        return "review"
    if counts["info"]:
        return "info"
    if suppressed:
        return "accepted"
    # no finding from an incomplete scan proves nothing
    return "clear" if complete else "clear-incomplete"


@dataclass
class _ItemCount:
    counts: dict[str, int] = field(
        default_factory=lambda: {s.value: 0 for s in SEVERITIES_WORST_FIRST}
    )
    total: int = 0
    suppressed: int = 0
    unverified: int = 0
    top: list[Finding] = field(default_factory=list)


class ItemTally:
    """Per guideline item: active findings per severity, suppressed and unverified counts and
    the first few active findings (fed in report order, so the worst)."""

    def __init__(self) -> None:
        self._items: dict[str, _ItemCount] = {}

    def add(self, f: Finding) -> None:
        for item_id in dict.fromkeys(f.guideline_items):  # an item named twice counts once
            tally = self._items.get(item_id)
            if tally is None:
                tally = self._items[item_id] = _ItemCount()
            if f.suppression is not None:
                tally.suppressed += 1
                continue
            tally.counts[f.severity.value] += 1
            tally.total += 1
            tally.unverified += f.unverified
            if len(tally.top) < TOP_PER_ITEM:
                tally.top.append(f)

    def views(self, result: ScanResult) -> list[ItemView]:
        ref = guideline_reference()
        known = {i.id: i for i in ref.items}
        ids = list(ref.item_ids())
        # an item ID the guideline data does not know still gets a row: never drop a finding
        ids += sorted(set(self._items) - set(ids))
        attestations = attestation_rows(result.attestations, result.scan.finished.date())
        views = []
        for item_id in ids:
            tally = self._items.get(item_id) or _ItemCount()
            text = known.get(item_id, _NO_TEXT)
            views.append(
                ItemView(
                    id=item_id,
                    gist_ja=text.gist_ja,
                    gist_en=text.gist_en,
                    treatment_ja=text.treatment_ja,
                    treatment_en=text.treatment_en,
                    status=_status(tally.counts, tally.suppressed, result.scan.coverage.complete),
                    counts=tally.counts,
                    total=tally.total,
                    suppressed=tally.suppressed,
                    unverified=tally.unverified,
                    top=list(tally.top),
                    attestations=(
                        [a for a in attestations if a.item == item_id]
                        if item_id in ATTESTED_ITEMS
                        else None
                    ),
                )
            )
        return views


@dataclass(frozen=True)
class Changes:
    has_history: bool
    previous_scan_id: str | None
    new: Capped[Finding] = field(default_factory=lambda: Capped(()))
    reopened: Capped[Finding] = field(default_factory=lambda: Capped(()))
    resolved: Capped[Finding] = field(default_factory=lambda: Capped(()))
    persisting: int = 0


class ChangeTally:
    """New and reopened findings (the first ``limit`` of each, in the order fed, and how many)
    and how many persist."""

    def __init__(self, limit: int = LIST_CAP) -> None:
        self._new: Keep[Finding] = Keep(limit)
        self._reopened: Keep[Finding] = Keep(limit)
        self._persisting = 0
        self._any_state = False

    def add(self, f: Finding) -> None:
        state = f.state
        if state is None:
            return
        self._any_state = True
        if state is FindingState.NEW:
            self._new.add(f)
        elif state is FindingState.REOPENED:
            self._reopened.add(f)
        elif state is FindingState.PERSISTING:
            self._persisting += 1

    def changes(self, result: ScanResult) -> Changes:
        if result.previous_scan_id is None and not self._any_state:
            return Changes(False, None)
        return Changes(
            True,
            result.previous_scan_id,
            new=self._new.capped(),
            reopened=self._reopened.capped(),
            resolved=Capped(sorted(result.resolved, key=finding_sort_key)),  # a few: kept whole
            persisting=self._persisting,
        )


class TierTally:
    """Country -> the worst tier the rules put it in (concern, gov, caution).

    Taken from the findings, so it is exactly what the active profile decided for this scan.
    Suppressed findings count: an accepted exception does not change where the country stands.
    The profile's own classification of every country the locations resolve to comes first, so
    a candidate country of a multi-region (not the one a finding names) is drawn in its tier
    too; "allowed" countries are left out (drawn as allowed / no finding).
    """

    def __init__(self, profile_tiers: Mapping[str, str] | None = None) -> None:
        self.tiers: dict[str, str] = {
            cc: tier for cc, tier in (profile_tiers or {}).items() if tier in _TIER_ORDER
        }

    def add(self, f: Finding) -> None:
        tier = _TIER_RULES.get(f.rule_id)
        if tier is None or f.location is None or f.location.country is None:
            return
        cc = f.location.country
        old = self.tiers.get(cc)
        if old is None or _TIER_ORDER.index(tier) < _TIER_ORDER.index(old):
            self.tiers[cc] = tier


def country_tiers(
    findings: Iterable[Finding], profile_tiers: Mapping[str, str] | None = None
) -> dict[str, str]:
    """See :class:`TierTally`."""
    tally = TierTally(profile_tiers)
    for f in findings:
        tally.add(f)
    return tally.tiers

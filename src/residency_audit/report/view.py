"""What the report says, computed once from a ScanResult: summary counts, per-item status,
attestations, what changed since the previous scan, suppressed findings and country tiers.

Pure functions over the contract types, shared by the HTML page and the workbook so both say the
same thing. Suppressed findings are accepted exceptions: they are listed in their own section and
counted separately, never in the active counts, and never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from ..guideline import GuidelineItem
from ..model import Finding, FindingState
from ..results import ScanResult
from ..rules import Attestation, EvaluationSettings
from ..rules.attestations import ATTESTED_ITEMS
from .facts import SEVERITIES_WORST_FIRST, finding_sort_key
from .guideline_ref import guideline_reference

__all__ = [
    "AttestationRow",
    "Changes",
    "ItemView",
    "active",
    "attestation_rows",
    "capped",
    "changes",
    "country_tiers",
    "item_views",
    "severity_totals",
]

TOP_PER_ITEM = 5
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


def capped(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first ``limit`` items and how many more there are (lists that can reach 20,000)."""
    return items[:limit], max(0, len(items) - limit)


def active(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.suppression is None]


def severity_totals(findings: Iterable[Finding]) -> dict[str, int]:
    totals = {s.value: 0 for s in SEVERITIES_WORST_FIRST}
    for f in findings:
        totals[f.severity.value] += 1
    return totals


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


def item_views(result: ScanResult, ordered: Sequence[Finding] | None = None) -> list[ItemView]:
    """Per guideline item; ``ordered``: the findings already in table order (44,000 at scale)."""
    ref = guideline_reference()
    known = {i.id: i for i in ref.items}
    if ordered is None:
        ordered = sorted(result.findings, key=finding_sort_key)
    ids = list(ref.item_ids())
    # an item ID the guideline data does not know still gets a row: never drop a finding
    ids += sorted({i for f in ordered for i in f.guideline_items} - set(ids))
    attestations = attestation_rows(result.attestations, result.scan.finished.date())
    views = []
    for item_id in ids:
        mine = [f for f in ordered if item_id in f.guideline_items]
        live = active(mine)
        counts = severity_totals(live)
        suppressed = len(mine) - len(live)
        text = known.get(item_id, _NO_TEXT)
        views.append(
            ItemView(
                id=item_id,
                gist_ja=text.gist_ja,
                gist_en=text.gist_en,
                treatment_ja=text.treatment_ja,
                treatment_en=text.treatment_en,
                status=_status(counts, suppressed, result.scan.coverage.complete),
                counts=counts,
                total=len(live),
                suppressed=suppressed,
                unverified=sum(f.unverified for f in live),
                top=live[:TOP_PER_ITEM],
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
    new: list[Finding] = field(default_factory=list)
    reopened: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    persisting: int = 0


def changes(result: ScanResult, ordered: Sequence[Finding] | None = None) -> Changes:
    has_history = result.previous_scan_id is not None or any(
        f.state is not None for f in result.findings
    )
    if not has_history:
        return Changes(False, None)
    if ordered is None:
        ordered = sorted(result.findings, key=finding_sort_key)
    return Changes(
        True,
        result.previous_scan_id,
        new=[f for f in ordered if f.state is FindingState.NEW],
        reopened=[f for f in ordered if f.state is FindingState.REOPENED],
        resolved=sorted(result.resolved, key=finding_sort_key),
        persisting=sum(f.state is FindingState.PERSISTING for f in ordered),
    )


def country_tiers(
    findings: Iterable[Finding], profile_tiers: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Country -> the worst tier the rules put it in (concern, gov, caution).

    Taken from the findings, so it is exactly what the active profile decided for this scan.
    Suppressed findings count: an accepted exception does not change where the country stands.
    The profile's own classification of every country the locations resolve to comes first, so
    a candidate country of a multi-region (not the one a finding names) is drawn in its tier
    too; "allowed" countries are left out (drawn as allowed / no finding).
    """
    tiers: dict[str, str] = {
        cc: tier for cc, tier in (profile_tiers or {}).items() if tier in _TIER_ORDER
    }
    for f in findings:
        tier = _TIER_RULES.get(f.rule_id)
        if tier is None or f.location is None or f.location.country is None:
            continue
        cc = f.location.country
        old = tiers.get(cc)
        if old is None or _TIER_ORDER.index(tier) < _TIER_ORDER.index(old):
            tiers[cc] = tier
    return tiers

"""The answer first: which buckets keep a copy in a country or region of concern (issue 13, 1).

Pure: the block's view is computed from the ScanResult's findings, so it says exactly what the
findings table says. A bucket is listed when an active ``(2)-1`` or ``(2)-2`` finding names the
country of one of its locations. Findings of those items whose country is unknown (the location
could not be resolved, a setting could not be read, a scope could not be listed) are kept apart as
unverified: they are never mixed with the buckets whose country is known. Suppressed findings are
accepted exceptions and are not counted here (they have their own section).

Rows are grouped by country, one row per bucket, role and country. To keep the block compact at
hundreds of buckets each group shows a few rows and counts the rest; the budget is shared by the
groups so that many countries still fit (every country always gets its heading).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Certainty, Finding, Role
from ..results import ScanResult

__all__ = [
    "GLANCE_ITEMS",
    "Glance",
    "GlanceGroup",
    "GlanceRow",
    "UnverifiedRow",
    "glance_view",
]

GLANCE_ITEMS = ("(2)-1", "(2)-2")
MAX_ROWS_PER_GROUP = 8  # enough for every bucket of the demo's largest group (HK: 6)
MIN_ROWS_PER_GROUP = 1  # every country keeps its heading and at least one named bucket
ROW_BUDGET = 24  # bucket rows shown over all groups: under one viewport at 1440x900
UNVERIFIED_ROWS = 5


@dataclass(frozen=True)
class GlanceRow:
    bucket: str
    uid: str
    provider: str
    scope: str
    role: Role
    certainty: Certainty  # confirmed if any finding behind the row says so
    items: tuple[str, ...]  # which of GLANCE_ITEMS the row's findings serve, in that order
    catalog_unverified: bool  # the catalog row behind the country is marked unverified


@dataclass(frozen=True)
class GlanceGroup:
    country: str  # ISO 3166-1 alpha-2
    rows: tuple[GlanceRow, ...]  # the rows shown
    total: int  # every row of the group
    buckets: int  # distinct buckets in the group

    @property
    def more(self) -> int:
        return self.total - len(self.rows)

    @property
    def items(self) -> tuple[str, ...]:
        seen = {i for r in self.rows for i in r.items}
        return tuple(i for i in GLANCE_ITEMS if i in seen)


@dataclass(frozen=True)
class UnverifiedRow:
    bucket: str | None  # None: a whole scope could not be listed
    provider: str
    scope: str
    role: Role | None
    rule_id: str


@dataclass(frozen=True)
class Glance:
    groups: tuple[GlanceGroup, ...]
    buckets: int  # distinct buckets with a known-country finding
    unverified: tuple[UnverifiedRow, ...]  # the rows shown
    unverified_total: int
    unverified_buckets: int  # distinct buckets (or scopes) behind the unverified rows
    complete: bool  # every scope was collected

    @property
    def unverified_more(self) -> int:
        return self.unverified_total - len(self.unverified)

    @property
    def empty(self) -> bool:
        return not self.groups


def _relevant(findings: Iterable[Finding]) -> list[Finding]:
    return [
        f
        for f in findings
        if f.suppression is None and any(i in GLANCE_ITEMS for i in f.guideline_items)
    ]


def _rows_per_group(groups: int) -> int:
    if groups == 0:
        return MAX_ROWS_PER_GROUP
    return max(MIN_ROWS_PER_GROUP, min(MAX_ROWS_PER_GROUP, ROW_BUDGET // groups))


def _groups(known: list[Finding]) -> tuple[list[GlanceGroup], int]:
    # (country, provider, scope, bucket uid, role) -> findings behind one row
    merged: dict[tuple[str, str, str, str, Role], list[Finding]] = {}
    for f in known:
        loc = f.location
        if loc is None or loc.country is None:
            continue  # the caller passes only known-country findings; this narrows the type
        uid = f.resource.uid if f.resource else ""
        key = (loc.country, f.provider, f.scope, uid, loc.role)
        merged.setdefault(key, []).append(f)
    by_country: dict[str, list[GlanceRow]] = {}
    for (country, provider, scope, uid, role), fs in merged.items():
        first = fs[0]
        items = {i for f in fs for i in f.guideline_items}
        by_country.setdefault(country, []).append(
            GlanceRow(
                bucket=first.resource.name if first.resource else "",
                uid=uid,
                provider=provider,
                scope=scope,
                role=role,
                certainty=(
                    Certainty.CONFIRMED
                    if any(
                        f.location is not None and f.location.certainty is Certainty.CONFIRMED
                        for f in fs
                    )
                    else Certainty.POSSIBLE
                ),
                items=tuple(i for i in GLANCE_ITEMS if i in items),
                catalog_unverified=any(f.unverified for f in fs),
            )
        )
    # concern countries ((2)-1) before government-access-only ones, then the largest first
    order = sorted(
        by_country,
        key=lambda cc: (
            not any("(2)-1" in r.items for r in by_country[cc]),
            -len(by_country[cc]),
            cc,
        ),
    )
    cap = _rows_per_group(len(order))
    groups = []
    for cc in order:
        rows = sorted(
            by_country[cc],
            key=lambda r: (r.certainty is not Certainty.CONFIRMED, r.provider, r.scope, r.bucket),
        )
        groups.append(
            GlanceGroup(
                country=cc,
                rows=tuple(rows[:cap]),
                total=len(rows),
                buckets=len({(r.provider, r.scope, r.uid) for r in rows}),
            )
        )
    buckets = {(k[1], k[2], k[3]) for k in merged}
    return groups, len(buckets)


def _unverified(unknown: list[Finding]) -> list[UnverifiedRow]:
    rows: dict[tuple[str, str, str | None, Role | None], UnverifiedRow] = {}
    for f in unknown:
        uid = f.resource.uid if f.resource else None
        role = f.location.role if f.location else None
        key = (f.provider, f.scope, uid, role)
        if key not in rows:
            rows[key] = UnverifiedRow(
                bucket=f.resource.name if f.resource else None,
                provider=f.provider,
                scope=f.scope,
                role=role,
                rule_id=f.rule_id,
            )
    # whole scopes first: they can hide any number of buckets
    return sorted(
        rows.values(), key=lambda r: (r.bucket is not None, r.provider, r.scope, r.bucket or "")
    )


def glance_view(result: ScanResult) -> Glance:
    relevant = _relevant(result.findings)
    known = [f for f in relevant if f.location is not None and f.location.country is not None]
    unknown = [f for f in relevant if f.location is None or f.location.country is None]
    groups, buckets = _groups(known)
    unverified = _unverified(unknown)
    return Glance(
        groups=tuple(groups),
        buckets=buckets,
        unverified=tuple(unverified[:UNVERIFIED_ROWS]),
        unverified_total=len(unverified),
        unverified_buckets=len({(r.provider, r.scope, r.bucket) for r in unverified}),
        complete=result.scan.coverage.complete,
    )

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

The findings may be on disk (a Spill, parsed again on every pass), so :class:`GlanceTally` is fed
one finding at a time and keeps one compact entry per row (its key, the bucket's name and a few
flags), never a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Certainty, Finding, Role
from ..results import ScanResult

__all__ = [
    "GLANCE_ITEMS",
    "Glance",
    "GlanceGroup",
    "GlanceRow",
    "GlanceTally",
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


def _rows_per_group(groups: int) -> int:
    if groups == 0:
        return MAX_ROWS_PER_GROUP
    return max(MIN_ROWS_PER_GROUP, min(MAX_ROWS_PER_GROUP, ROW_BUDGET // groups))


# Where a row's first finding stands in the order a scan stores findings (rules.sort_key: worst
# first, then provider, scope, resource uid, rule, role): rows that sort alike keep that order,
# whatever order the findings are fed in. Provider, scope, uid and role are the row's own key.
_First = tuple[int, str]  # (-severity rank, rule id)


def _first(f: Finding) -> _First:
    return (-f.severity.rank, f.rule_id)


@dataclass
class _Row:
    """One row's state: the bucket's name, whether any finding is confirmed, the items served
    (a bit per GLANCE_ITEMS entry), whether any rests on an unverified catalog row."""

    name: str
    first: _First
    confirmed: bool = False
    items: int = 0
    catalog_unverified: bool = False


@dataclass
class _UnverifiedEntry:
    name: str | None
    first: _First


_RowKey = tuple[str, str, str, str, Role]  # country, provider, scope, bucket uid, role
_UnverifiedKey = tuple[str, str, str | None, Role | None]  # provider, scope, uid, role


class GlanceTally:
    """The glance's rows, fed one finding at a time in any order (suppressed findings and those
    of other items are passed over here)."""

    def __init__(self) -> None:
        self._rows: dict[_RowKey, _Row] = {}
        self._unverified: dict[_UnverifiedKey, _UnverifiedEntry] = {}
        self._shared: dict[str, str] = {}  # one instance of each country, provider and scope

    def _share(self, text: str) -> str:
        return self._shared.setdefault(text, text)

    def add(self, f: Finding) -> None:
        if f.suppression is not None:
            return
        bits = sum(1 << n for n, item in enumerate(GLANCE_ITEMS) if item in f.guideline_items)
        if not bits:
            return
        loc, res, first = f.location, f.resource, _first(f)
        if loc is None or loc.country is None:
            self._add_unverified(f, first)
            return
        key = (
            self._share(loc.country),
            self._share(f.provider),
            self._share(f.scope),
            res.uid if res else "",
            loc.role,
        )
        row = self._rows.get(key)
        name = res.name if res else ""
        if row is None:
            row = self._rows[key] = _Row(name, first)
        elif first < row.first:
            row.name, row.first = name, first
        row.confirmed = row.confirmed or loc.certainty is Certainty.CONFIRMED
        row.items |= bits
        row.catalog_unverified = row.catalog_unverified or f.unverified

    def _add_unverified(self, f: Finding, first: _First) -> None:
        res = f.resource
        key = (
            self._share(f.provider),
            self._share(f.scope),
            res.uid if res else None,
            f.location.role if f.location else None,
        )
        entry = self._unverified.get(key)
        name = res.name if res else None
        if entry is None:
            self._unverified[key] = _UnverifiedEntry(name, first)
        elif first < entry.first:
            entry.name, entry.first = name, first

    def _groups(self) -> tuple[list[GlanceGroup], int]:
        by_country: dict[str, list[tuple[_RowKey, _Row]]] = {}
        for key, row in self._rows.items():
            by_country.setdefault(key[0], []).append((key, row))
        concern = 1 << GLANCE_ITEMS.index("(2)-1")
        # concern countries ((2)-1) before government-access-only ones, then the largest first
        order = sorted(
            by_country,
            key=lambda cc: (
                not any(row.items & concern for _, row in by_country[cc]),
                -len(by_country[cc]),
                cc,
            ),
        )
        cap = _rows_per_group(len(order))
        groups = []
        for cc in order:
            rows = sorted(
                by_country[cc],
                key=lambda kr: (
                    not kr[1].confirmed,
                    kr[0][1],
                    kr[0][2],
                    kr[1].name,
                    (kr[1].first[0], kr[0][3], kr[1].first[1], kr[0][4]),
                ),
            )
            groups.append(
                GlanceGroup(
                    country=cc,
                    rows=tuple(_glance_row(key, row) for key, row in rows[:cap]),
                    total=len(rows),
                    buckets=len({key[1:4] for key, _ in rows}),
                )
            )
        return groups, len({key[1:4] for key in self._rows})

    def _unverified_rows(self) -> list[tuple[_UnverifiedKey, _UnverifiedEntry]]:
        # whole scopes first: they can hide any number of buckets
        return sorted(
            self._unverified.items(),
            key=lambda ke: (
                ke[1].name is not None,
                ke[0][0],
                ke[0][1],
                ke[1].name or "",
                (ke[1].first[0], ke[0][2] or "", ke[1].first[1], ke[0][3] or ""),
            ),
        )

    def view(self, complete: bool) -> Glance:
        """The block; ``complete``: every scope was collected."""
        groups, buckets = self._groups()
        unverified = self._unverified_rows()
        return Glance(
            groups=tuple(groups),
            buckets=buckets,
            unverified=tuple(
                UnverifiedRow(
                    bucket=entry.name,
                    provider=key[0],
                    scope=key[1],
                    role=key[3],
                    rule_id=entry.first[1],
                )
                for key, entry in unverified[:UNVERIFIED_ROWS]
            ),
            unverified_total=len(unverified),
            unverified_buckets=len({(k[0], k[1], e.name) for k, e in unverified}),
            complete=complete,
        )


def _glance_row(key: _RowKey, row: _Row) -> GlanceRow:
    _, provider, scope, uid, role = key
    return GlanceRow(
        bucket=row.name,
        uid=uid,
        provider=provider,
        scope=scope,
        role=role,
        certainty=Certainty.CONFIRMED if row.confirmed else Certainty.POSSIBLE,
        items=tuple(i for n, i in enumerate(GLANCE_ITEMS) if row.items >> n & 1),
        catalog_unverified=row.catalog_unverified,
    )


def glance_view(result: ScanResult) -> Glance:
    tally = GlanceTally()
    for f in result.findings:
        tally.add(f)
    return tally.view(result.scan.coverage.complete)

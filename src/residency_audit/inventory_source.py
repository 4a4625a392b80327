"""What the providers' inventory-service sources share (AWS Config aggregators, Cloud Asset
Inventory, Azure Resource Graph).

A plugin with ``source = "inventory"`` reads bucket configurations from its provider's
organisation-wide inventory and feeds them to the same pure normalisation as its live collector.
The inventory can be old, or not record a setting the residency answer needs; that setting is
then read live for that bucket, and the coverage says how many buckets and settings fell back
(:class:`Fallback`). ``verify_sample = K`` reads K random buckets live as well and reports every
setting the two disagree on (:func:`disagreements`); the live reading is the one reported.

Pure: no SDK, no I/O. The settings keys are ``source``, ``max_age`` and ``verify_sample``
(:func:`parse_max_age` reads ``"24h"``-style durations).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from .model import Bucket, CoverageNote

__all__ = [
    "DEFAULT_MAX_AGE",
    "Disagreement",
    "Fallback",
    "FallbackReason",
    "disagreement_note",
    "disagreements",
    "parse_max_age",
    "sample",
    "source_note",
    "stale",
]

DEFAULT_MAX_AGE = timedelta(hours=24)
SOURCES = ("live", "inventory")
# why a setting was read live instead: the record is older than max_age, the service does not
# record the setting at all, or it recorded it as absent where absence cannot be told from "not
# captured" (e.g. AWS Config's supplementary configuration without a replication entry)
FallbackReason = Literal["stale", "not-recorded", "absent"]
_REASON_WORDS = {
    "stale": "older than max_age",
    "not-recorded": "not recorded by the service",
    "absent": "recorded as absent",
}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_max_age(value: str | int) -> timedelta:
    """``"24h"``, ``"90m"``, ``"2d"``, ``"3600s"``; a bare integer is seconds. Raises ValueError
    with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError('max_age must be a duration such as "24h", "90m" or "2d"')
    if isinstance(value, int):
        seconds = value
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f'max_age {value!r} is not a duration such as "24h", "90m", "2d" or "3600s"'
            )
        seconds = int(timedelta(**{_UNITS[match[2]]: int(match[1])}).total_seconds())
    if seconds <= 0:
        raise ValueError("max_age must be longer than zero")
    return timedelta(seconds=seconds)


def stale(captured: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """True when the inventory's record is older than ``max_age`` (or has no capture time)."""
    return captured is None or now - captured > max_age


@dataclass
class Fallback:
    """Tallies the settings an inventory source read live instead, for the coverage."""

    service: str  # e.g. "AWS Config aggregator 'org-aggregator'"
    _buckets: set[str] = field(default_factory=set)
    _fields: Counter[str] = field(default_factory=Counter)
    _reasons: dict[str, set[str]] = field(default_factory=dict)

    def record(self, bucket_uid: str, fields: Iterable[str], reason: FallbackReason) -> None:
        names = list(fields)
        if not names:
            return
        self._buckets.add(bucket_uid)
        self._fields.update(names)
        self._reasons.setdefault(reason, set()).add(bucket_uid)

    @property
    def buckets(self) -> int:
        return len(self._buckets)

    def note(self, total_buckets: int) -> CoverageNote | None:
        """The ``inventory-fallback`` note, or None when nothing fell back."""
        if not self._buckets:
            return None
        per_field = ", ".join(f"{name} {n}" for name, n in sorted(self._fields.items()))
        per_reason = "; ".join(
            f"{_REASON_WORDS[r]}: {len(uids)} buckets" for r, uids in sorted(self._reasons.items())
        )
        counts = {"buckets": len(self._buckets), "buckets_total": total_buckets}
        counts.update({f"field.{k}": v for k, v in self._fields.items()})
        counts.update({f"reason.{k}": len(v) for k, v in self._reasons.items()})
        return CoverageNote(
            kind="inventory-fallback",
            detail=(
                f"{len(self._buckets)} of {total_buckets} buckets had settings read live instead "
                f"of from {self.service}: {per_field} ({per_reason})"
            ),
            counts=counts,
        )


def source_note(service: str, buckets: int, captured: Sequence[datetime]) -> CoverageNote:
    """The ``inventory-source`` note: how many buckets came from which service, captured when."""
    when = ""
    if captured:
        oldest, newest = min(captured), max(captured)
        when = f", captured {oldest.isoformat()} to {newest.isoformat()}"
    return CoverageNote(
        kind="inventory-source",
        detail=f"{buckets} buckets read from {service}{when}",
        counts={"buckets": buckets},
    )


def sample(uids: Iterable[str], k: int, seed: int | None = None) -> list[str]:
    """``k`` bucket ids drawn at random (reproducibly with ``seed``), in sorted order."""
    pool = sorted(set(uids))
    if k <= 0 or not pool:
        return []
    return sorted(random.Random(seed).sample(pool, min(k, len(pool))))  # noqa: S311 -- not security


@dataclass(frozen=True)
class Disagreement:
    bucket: str  # uid
    name: str
    field: str  # "locations", "encryption", "public_access", "tags", "external_principals"
    inventory: str
    live: str


def _locations(b: Bucket) -> str:
    rows = sorted(
        f"{loc.role.value}:{loc.region or '?'}:{loc.mechanism}:{loc.target or ''}:"
        f"{loc.certainty.value}"
        for loc in b.locations
    )
    return ", ".join(rows) or "(none)"


def _encryption(b: Bucket) -> str:
    return f"{b.encryption.tier.value}:{b.encryption.key_id or ''}"


def disagreements(inventory: Bucket, live: Bucket) -> list[Disagreement]:
    """The settings on which the inventory's bucket and the live reading of it differ (a setting
    the live reading could not read, a gap, is not a disagreement)."""
    gaps = {g.field.split(".")[0] for g in (*live.gaps, *inventory.gaps)}
    views: dict[str, Callable[[Bucket], str]] = {
        "locations": _locations,
        "encryption": _encryption,
        "public_access": lambda b: b.public_access.verdict.value,
        "tags": lambda b: ", ".join(f"{k}={v}" for k, v in sorted(b.tags.items())) or "(none)",
        "external_principals": lambda b: ", ".join(sorted(b.external_principals)) or "(none)",
    }
    # any other unread setting (replication, backup, a key's region, ...) feeds the locations
    if gaps - set(views):
        gaps.add("locations")
    found = []
    for name, view in views.items():
        if name in gaps:
            continue
        a, b = view(inventory), view(live)
        if a != b:
            found.append(Disagreement(live.uid, live.name, name, a, b))
    return found


def disagreement_note(d: Disagreement, service: str) -> CoverageNote:
    return CoverageNote(
        kind="inventory-disagreement",
        detail=(
            f"bucket {d.name}: {d.field} differs between {service} ({d.inventory}) and a live "
            f"read ({d.live}); the live reading is reported"
        ),
        counts={"buckets": 1},
    )

"""The appendix 「判定根拠」: every catalog source a location's country rests on, numbered once.

A location row shows only its number (``[3]``), linking to ``#basis-3``; the appendix holds the
source itself. Numbers follow the sources' sorted text, so the same estate gets the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Bucket

__all__ = ["regions_by_source", "source_numbers"]


def source_numbers(buckets: Iterable[Bucket]) -> dict[str, int]:
    """Catalog source text -> its number in the appendix (1, 2, ...)."""
    found = {
        loc.resolution.source
        for b in buckets
        for loc in b.locations
        if loc.resolution is not None and loc.resolution.source
    }
    return {source: n for n, source in enumerate(sorted(found), start=1)}


def regions_by_source(buckets: Iterable[Bucket]) -> dict[str, list[str]]:
    """Source -> the location codes that rest on it (sorted), for the appendix."""
    found: dict[str, set[str]] = {}
    for b in buckets:
        for loc in b.locations:
            if loc.resolution is not None and loc.resolution.source and loc.region:
                found.setdefault(loc.resolution.source, set()).add(loc.region)
    return {source: sorted(codes) for source, codes in found.items()}

"""The appendix 「判定根拠」: every catalog source a location's country rests on, numbered once.

A location row shows only its number (``[3]``), linking to ``#basis-3``; the appendix holds the
source itself. Numbers follow the sources' sorted text, so the same estate gets the same numbers.
"""

from __future__ import annotations

from ..model import Bucket

__all__ = ["Sources"]


class Sources:
    """The sources, fed one bucket at a time (a few dozen texts, however many buckets)."""

    def __init__(self) -> None:
        self._regions: dict[str, set[str]] = {}  # source -> the location codes resting on it

    def add(self, bucket: Bucket) -> None:
        for loc in bucket.locations:
            if loc.resolution is not None and loc.resolution.source:
                codes = self._regions.setdefault(loc.resolution.source, set())
                if loc.region:
                    codes.add(loc.region)

    def numbers(self) -> dict[str, int]:
        """Catalog source text -> its number in the appendix (1, 2, ...)."""
        return {source: n for n, source in enumerate(sorted(self._regions), start=1)}

    def regions(self) -> dict[str, list[str]]:
        """Source -> the location codes that rest on it (sorted), for the appendix."""
        return {source: sorted(codes) for source, codes in self._regions.items() if codes}

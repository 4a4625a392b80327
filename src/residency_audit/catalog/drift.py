"""Compare what a provider lists (``listing.RegionListing``) with the shipped catalog.

Pure: no I/O. ``residency-audit catalog check`` gathers the listings from the plugins and renders
the result. What counts:

* drift -- a code the catalog lacks (new region), a pair, cloud/partition or physical location that
  differs from the catalog's;
* information -- catalog rows of a listed cloud that the source does not list (retired, or not
  offered to this subscription): old inventories still name them, so they stay in the catalog;
* incomplete -- a source that could not be read, in whole (``UnreadSource``) or in part
  (``RegionListing.problems``), or no source at all: then the check cannot say "in step".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from residency_audit.catalog.catalog import Catalog
from residency_audit.catalog.entries import RegionEntry, normalise_code
from residency_audit.catalog.listing import ListedRegion, RegionListing

__all__ = [
    "CheckResult",
    "Difference",
    "ListingDrift",
    "NewRegion",
    "NotListed",
    "SkippedSource",
    "UnreadSource",
    "check",
    "compare",
]

SCHEMA = "residency-audit/catalog-check/v1"


@dataclass(frozen=True)
class NewRegion:
    """A code the source lists and the catalog does not have in that namespace."""

    code: str
    namespace: str
    cloud: str
    display_name: str
    physical_location: str
    paired_region: str | None


@dataclass(frozen=True)
class Difference:
    """One value the catalog and the source give differently ("" / None = not given)."""

    code: str
    catalog: str | None
    listed: str | None


@dataclass(frozen=True)
class NotListed:
    """A catalog row of a cloud the source covers, which the source does not list."""

    code: str
    namespace: str
    cloud: str
    display_name: str


@dataclass(frozen=True)
class ListingDrift:
    """How one listing differs from the catalog."""

    provider: str
    source: str
    live: bool
    compared: int  # distinct codes the source listed
    new_regions: tuple[NewRegion, ...] = ()
    changed_pairs: tuple[Difference, ...] = ()
    changed_clouds: tuple[Difference, ...] = ()
    changed_locations: tuple[Difference, ...] = ()
    not_listed: tuple[NotListed, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def drift(self) -> bool:
        return bool(
            self.new_regions or self.changed_pairs or self.changed_clouds or self.changed_locations
        )

    @property
    def incomplete(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True)
class UnreadSource:
    """A source that could not be read at all (the plugin raised)."""

    provider: str
    source: str  # "installed SDK" / "live"
    reason: str


@dataclass(frozen=True)
class SkippedSource:
    """A source the plugin does not offer (no hook): shown, but not a failure."""

    provider: str
    source: str
    reason: str


@dataclass(frozen=True)
class CheckResult:
    listings: tuple[ListingDrift, ...]
    unread: tuple[UnreadSource, ...] = ()
    skipped: tuple[SkippedSource, ...] = ()

    @property
    def drift(self) -> bool:
        return any(item.drift for item in self.listings)

    @property
    def incomplete(self) -> bool:
        # nothing compared proves nothing: "in step" needs at least one source read
        return bool(self.unread) or not self.listings or any(i.incomplete for i in self.listings)

    @property
    def in_step(self) -> bool:
        return not self.drift and not self.incomplete

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "schema": SCHEMA,
            "in_step": self.in_step,
            "drift": self.drift,
            "incomplete": self.incomplete,
            "listings": [
                {**asdict(item), "drift": item.drift, "incomplete": item.incomplete}
                for item in self.listings
            ],
            "unread": [asdict(u) for u in self.unread],
            "skipped": [asdict(s) for s in self.skipped],
        }


def check(
    listings: Iterable[RegionListing],
    catalog: Catalog,
    unread: Iterable[UnreadSource] = (),
    skipped: Iterable[SkippedSource] = (),
) -> CheckResult:
    return CheckResult(
        listings=tuple(compare(listing, catalog) for listing in listings),
        unread=tuple(unread),
        skipped=tuple(skipped),
    )


def compare(listing: RegionListing, catalog: Catalog) -> ListingDrift:
    """Every difference between one listing and the catalog."""
    provider = listing.provider.lower()
    listed = _distinct(provider, listing.regions)
    new: list[NewRegion] = []
    pairs: list[Difference] = []
    clouds: list[Difference] = []
    places: list[Difference] = []
    # the (cloud, namespace) the source speaks for: a public-cloud subscription says nothing
    # about the China or government clouds, so their rows are not "not listed" there
    covered: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()  # (namespace, catalog code) of the rows found
    for region in listed:
        entry = catalog.lookup(provider, region.code, region.namespace)
        if entry is None:
            new.append(
                NewRegion(
                    code=region.code,
                    namespace=region.namespace,
                    cloud=region.cloud,
                    display_name=region.display_name,
                    physical_location=region.physical_location,
                    paired_region=region.paired_region,
                )
            )
            if region.cloud:
                covered.add((region.cloud, region.namespace))
            continue
        seen.add((entry.namespace, normalise_code(provider, entry.code)))
        own_cloud = listing.gives_cloud and bool(region.cloud)  # else the catalog's says more
        covered.add((region.cloud if own_cloud else entry.cloud, region.namespace))
        if own_cloud and region.cloud != entry.cloud:
            clouds.append(Difference(entry.code, entry.cloud, region.cloud))
        if (
            region.physical_location
            and entry.city
            and not _same_place(region.physical_location, entry.city)
        ):
            places.append(Difference(entry.code, entry.city, region.physical_location))
        if listing.gives_pairs:
            pair = _catalog_pair(catalog, provider, entry)
            given = region.paired_region or None
            if _code_or_none(provider, pair) != _code_or_none(provider, given):
                pairs.append(Difference(entry.code, pair, given))
    not_listed = tuple(
        NotListed(code=e.code, namespace=e.namespace, cloud=e.cloud, display_name=e.display_name)
        for e in catalog.entries(provider=provider)
        if (e.cloud, e.namespace) in covered
        and (e.namespace, normalise_code(provider, e.code)) not in seen
    )
    return ListingDrift(
        provider=provider,
        source=listing.source,
        live=listing.live,
        compared=len(listed),
        new_regions=tuple(new),
        changed_pairs=tuple(pairs),
        changed_clouds=tuple(clouds),
        changed_locations=tuple(places),
        not_listed=not_listed,
        problems=listing.problems,
    )


def _distinct(provider: str, regions: Iterable[ListedRegion]) -> list[ListedRegion]:
    """First of each (namespace, code): a live listing may name a region once per account."""
    out: dict[tuple[str, str], ListedRegion] = {}
    for r in regions:
        out.setdefault((r.namespace, normalise_code(provider, r.code)), r)
    return list(out.values())


def _catalog_pair(catalog: Catalog, provider: str, entry: RegionEntry) -> str | None:
    if provider != "azure":
        return None  # the catalog keeps pairs for Azure only
    pair = catalog.azure_geo_pair(entry.code)
    return pair.secondary if pair is not None else None


def _code_or_none(provider: str, code: str | None) -> str | None:
    return normalise_code(provider, code) if code else None


def _same_place(a: str, b: str) -> bool:
    """Equal up to case, spacing and Unicode form ("Gävle" typed either way)."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)

"""AWS partitions as the installed botocore knows them (``botocore/data/partitions.json``).

Each partition's regions, region-name pattern (``regionRegex``) and home region
(``outputs.implicitGlobalRegion``: where botocore sends a partition's global services, so where
STS, Organizations and S3 Control are called) come from that file, so a partition botocore adds
(``aws-eusc``, a new ISO partition) is scannable without code here. Reading it is local: no
network, no credentials; it is read once, on first use, not at import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import botocore
from botocore.loaders import Loader

from residency_audit.catalog.listing import ListedRegion, RegionListing

__all__ = [
    "DEFAULT_PARTITION",
    "Partition",
    "partition",
    "partition_of",
    "partitions",
    "sdk_region_listings",
]

DEFAULT_PARTITION = "aws"  # botocore's own fallback for a region no partition claims


@dataclass(frozen=True)
class Partition:
    name: str  # aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc
    home_region: str
    region_regex: re.Pattern[str]
    regions: Mapping[str, str]  # code -> description, pseudo-regions (*-global) left out

    def owns(self, region: str) -> bool:
        return region in self.regions or bool(self.region_regex.match(region))


@functools.cache
def partitions() -> Mapping[str, Partition]:
    """Every partition of the installed botocore, by name, in botocore's order."""
    data = Loader().load_data("partitions")
    found: dict[str, Partition] = {}
    for entry in data["partitions"]:
        regions = {
            code: str(info.get("description", ""))
            for code, info in entry.get("regions", {}).items()
            if not code.endswith("-global")  # aws-global, aws-cn-global...: endpoints, not places
        }
        found[entry["id"]] = Partition(
            name=entry["id"],
            home_region=str(entry["outputs"]["implicitGlobalRegion"]),
            region_regex=re.compile(entry["regionRegex"]),
            regions=regions,
        )
    return found


def partition(name: str) -> Partition:
    return partitions()[name]


def partition_of(region: str) -> str:
    """The partition a region belongs to; a partition's credentials work in no other.

    As botocore resolves it: a partition that lists the region, else one whose pattern matches
    it, else ``aws``. The patterns do not overlap: ``eusc-de-east-1`` and ``us-iso-east-1`` do not
    match ``aws``'s ``^(us|eu|ap|...)\\-\\w+\\-\\d+$``.
    """
    every = partitions().values()
    listed = next((p.name for p in every if region in p.regions), None)
    if listed:
        return listed
    return next((p.name for p in every if p.region_regex.match(region)), DEFAULT_PARTITION)


def sdk_region_listings() -> list[RegionListing]:
    """One listing per botocore partition, for ``residency-audit catalog check``."""
    source = f"botocore {botocore.__version__} partitions.json"
    return [
        RegionListing(
            provider="aws",
            source=f"{source} ({p.name})",
            regions=tuple(
                ListedRegion(code=code, cloud=p.name, display_name=description)
                for code, description in p.regions.items()
            ),
            gives_cloud=True,
        )
        for p in partitions().values()
    ]

"""What a provider plugin tells ``residency-audit catalog check`` about the regions it knows.

A plugin offers two optional hooks (found with ``hasattr``, so a plugin without them still loads):

* ``sdk_region_listings()`` -- a classmethod that reads what the installed SDK ships (botocore's
  partition data): no credentials, no network.
* ``live_region_listings()`` -- an instance method that asks the provider with the configured
  credentials (Azure's Subscriptions - List Locations, AWS account regions and the public SSM
  parameters). A listing that could not be read at all raises ``CollectionError``; a part that
  could not be read is named in ``problems``.

The check compares each listing with the shipped catalog (``catalog.drift``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["ListedRegion", "LiveRegionSource", "RegionListing", "SdkRegionSource"]


@dataclass(frozen=True)
class ListedRegion:
    """One region as a source lists it."""

    code: str  # as the provider spells it (us-east-1, taiwannorth)
    cloud: str = ""  # partition or cloud when the source says (aws, aws-iso-e, aws-eusc, azure)
    display_name: str = ""
    physical_location: str = ""  # where the source says the region is (Azure physicalLocation)
    paired_region: str | None = None  # Azure pairedRegion; None = the source gives no pair
    namespace: str = "region"  # model.Namespace value


@dataclass(frozen=True)
class RegionListing:
    """Every region one source lists, and how far it could be read."""

    provider: str  # aws / gcp / azure
    source: str  # what was read, as the drift report names it ("botocore 1.43.11 partitions")
    regions: tuple[ListedRegion, ...]
    live: bool = False  # True when read from the provider with credentials
    gives_pairs: bool = False  # True when the source lists pairs (no pair = unpaired there)
    gives_cloud: bool = False  # True when every region's ``cloud`` is the source's own
    problems: tuple[str, ...] = ()  # parts that could not be read (the check reports them)


@runtime_checkable
class SdkRegionSource(Protocol):
    @classmethod
    def sdk_region_listings(cls) -> Sequence[RegionListing]: ...


@runtime_checkable
class LiveRegionSource(Protocol):
    def live_region_listings(self) -> Sequence[RegionListing]: ...

"""Catalog row types and the per-provider rules that turn an API's location string into a key."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AzurePair", "RegionEntry", "normalise_code"]


@dataclass(frozen=True)
class RegionEntry:
    """One location a provider's API can return, with the countries it stands for."""

    provider: str  # "aws" | "gcp" | "azure"
    code: str  # canonical code as the provider's API returns it
    display_name: str
    city: str
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2; empty = unknown
    cloud: str  # partition / cloud: aws, aws-cn, aws-us-gov, gcp, azure, azure-china, azure-gov ...
    # "region" | "dual-region" | "multi-region" | "global" | "edge-zone" | "cdn-edge"
    location_type: str
    members: tuple[str, ...]  # member region codes for predefined dual-regions
    candidates: bool  # True when countries are candidates, not confirmed (GCS ASIA, EU)
    verified: bool  # False where the reference marks the row UNVERIFIED
    notes: str
    source: str
    unverified: str = ""  # what the reference marks UNVERIFIED on this row (empty = nothing)
    namespace: str = "region"  # "region" | "kms" | "edge-zone" | "cdn" (model.Namespace values)

    @property
    def is_configurable_placeholder(self) -> bool:
        """A GCS configurable dual-region row: countries come from the bucket, never from here."""
        return self.code.startswith("configurable:")


@dataclass(frozen=True)
class AzurePair:
    """An Azure region's geo-redundant (GRS/GZRS) secondary from the published pair table."""

    region: str
    secondary: str
    cross_border: bool
    source: str
    region_country: str = ""
    secondary_country: str = ""
    verified: bool = True  # False where the reference marks the pair UNVERIFIED
    notes: str = ""


# S3 GetBucketLocation still answers "EU" for buckets created in eu-west-1 long ago.
_AWS_ALIASES = {"eu": "eu-west-1"}


def normalise_code(provider: str, code: str) -> str:
    """The lookup key for a provider's location string.

    * aws: lower-case; legacy ``EU`` is eu-west-1.
    * gcp: lower-case (GCS answers ``ASIA``/``US-EAST1``, Cloud KMS ``asia``/``asia-northeast1``).
    * azure: lower-case without spaces, so display names (``East Asia``) match names (``eastasia``).
    """
    key = code.strip().lower()
    if provider == "aws":
        return _AWS_ALIASES.get(key, key)
    if provider == "azure":
        return key.replace(" ", "")
    return key

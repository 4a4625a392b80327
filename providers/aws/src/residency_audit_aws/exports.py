"""Where a bucket's server access logs and S3 Inventory reports go: METADATA locations.

Pure: GetBucketLogging / ListBucketInventoryConfigurations answers (as boto3 returns them) ->
locations. Both exports carry every object key (an access log line per request, an inventory
row per object), so their destination bucket holds the audited bucket's key names.

What the S3 API reference documents about where they may go:

- Server access logs: "All logs are saved to buckets in the same Amazon Web Services Region as the
  source bucket", and the target is a bucket the source's owner owns (PutBucketLogging). So the
  logs' region is the source's; the target's own region is still looked up, and where that look-up
  fails the source's region is given, derived from the constraint.
- Inventory reports: "The destination bucket must be in the same Amazon Web Services Region as the
  source bucket" (PutBucketInventoryConfiguration); it may belong to another account
  (``S3BucketDestination.AccountId``). The same reading: the destination's region as looked up,
  else the source's, derived. A disabled configuration publishes nothing new, but the reports it
  published stay: a POSSIBLE copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from residency_audit.model import Certainty, Evidence, Gap, Location, Role

from . import arns
from .normalize import DESTINATION_MISSING, NOT_LOOKED_UP, DestinationRegion, Failure, Read
from .reads import read_gap

__all__ = [
    "INVENTORY",
    "INVENTORY_DISABLED",
    "LOGGING",
    "access_logging",
    "inventory_destination_names",
    "inventory_reports",
    "logging_target",
]

LOGGING = "s3-access-logging"
INVENTORY = "s3-inventory"
INVENTORY_DISABLED = "s3-inventory (configuration disabled)"


def _bucket_name(bucket: str) -> str:
    """``arn:aws:s3:::name`` (the inventory destination's form) or a plain name -> the name."""
    return arns.bucket_name(bucket)


def _same_region(
    answer: DestinationRegion, source_region: str | None, mechanism: str, what: str
) -> tuple[str | None, bool, str | None, Evidence | None]:
    """(region, derived, unknown_reason, why): the destination's region as looked up, or the
    source's where S3 requires the two to be the same and the look-up failed."""
    if answer.region is not None:
        return answer.region, False, None, None
    if source_region is None or answer is DESTINATION_MISSING:
        return None, False, answer.unknown_reason, answer.why  # nothing is delivered to it
    reason = (
        f"{answer.unknown_reason}; S3 delivers {what} only to a bucket in the source "
        "bucket's region, so that region is given"
    )
    why = Evidence(
        key="aws.export-same-region",
        subject=mechanism,
        text=answer.why.text if answer.why else None,
    )
    return source_region, True, reason, why


def logging_target(response: Mapping[str, Any]) -> str | None:
    """GetBucketLogging -> the target bucket's name (None: logging is off)."""
    enabled = response.get("LoggingEnabled") or {}
    target = enabled.get("TargetBucket")
    return str(target) if target else None


def access_logging(
    response: Read, source_region: str | None, regions: Mapping[str, DestinationRegion]
) -> tuple[list[Location], list[Gap]]:
    """GetBucketLogging -> the server access logs' location, or the gap of an unread answer.

    An answer without ``LoggingEnabled`` is S3's "logging is off": no export.
    """
    if isinstance(response, Failure):
        return [], [read_gap("s3", "GetBucketLogging", response)]
    target = logging_target(response)
    if target is None:
        return [], []
    prefix = str((response.get("LoggingEnabled") or {}).get("TargetPrefix") or "")
    region, derived, reason, why = _same_region(
        regions.get(target, NOT_LOOKED_UP), source_region, LOGGING, "server access logs"
    )
    location = Location(
        role=Role.METADATA,
        provider="aws",
        region=region,
        mechanism=LOGGING,
        target=target + (f" (prefix {prefix})" if prefix else ""),
        derived=derived,
        unknown_reason=reason,
        why=why,
    )
    return [location], []


def inventory_destination_names(response: Mapping[str, Any]) -> list[str]:
    configs = response.get("InventoryConfigurationList") or []
    names = (
        _bucket_name(str(c.get("Destination", {}).get("S3BucketDestination", {}).get("Bucket", "")))
        for c in configs
    )
    return list(dict.fromkeys(n for n in names if n))


def inventory_reports(
    response: Read, source_region: str | None, regions: Mapping[str, DestinationRegion]
) -> tuple[list[Location], list[Gap]]:
    """The bucket's inventory configurations -> one location per report destination."""
    if isinstance(response, Failure):
        return [], [read_gap("s3", "ListBucketInventoryConfigurations", response)]
    locations: list[Location] = []
    for config in response.get("InventoryConfigurationList") or []:
        destination = config.get("Destination", {}).get("S3BucketDestination", {})
        arn = str(destination.get("Bucket") or "")
        if not arn:
            continue
        region, derived, reason, why = _same_region(
            regions.get(_bucket_name(arn), NOT_LOOKED_UP),
            source_region,
            INVENTORY,
            "inventory reports",
        )
        account = destination.get("AccountId")
        enabled = bool(config.get("IsEnabled"))
        locations.append(
            Location(
                role=Role.METADATA,
                provider="aws",
                region=region,
                mechanism=INVENTORY if enabled else INVENTORY_DISABLED,
                target=arn + (f" (account {account})" if account else ""),
                certainty=Certainty.CONFIRMED if enabled else Certainty.POSSIBLE,
                derived=derived,
                unknown_reason=reason,
                why=why,
            )
        )
    return locations, []

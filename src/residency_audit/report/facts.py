"""Small pure helpers shared by the CSV and HTML writers, so both say the same thing."""

from __future__ import annotations

from ..model import (
    Bucket,
    Certainty,
    Classification,
    Finding,
    Location,
    Severity,
    bucket_order,
)

__all__ = [
    "SEVERITIES_WORST_FIRST",
    "bucket_sort_key",
    "effective_certainty",
    "finding_sort_key",
    "is_unclassified",
]

SEVERITIES_WORST_FIRST = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)


def effective_certainty(loc: Location) -> Certainty:
    """A location is only as certain as the weaker of what the plugin and the catalog say.

    An ``ASIA`` multi-region member is a confirmed region whose country is only possible.
    """
    if loc.certainty is Certainty.POSSIBLE:
        return Certainty.POSSIBLE
    if loc.resolution is not None and loc.resolution.certainty is Certainty.POSSIBLE:
        return Certainty.POSSIBLE
    return Certainty.CONFIRMED


def is_unclassified(bucket: Bucket) -> bool:
    # None means the evaluate stage did not classify it: never treat that as classified; UNKNOWN
    # means its tags could not be read.
    return bucket.classification in (None, Classification.UNCLASSIFIED, Classification.UNKNOWN)


def finding_sort_key(f: Finding) -> tuple[int, str, str, str, str, str]:
    """Worst first, then stable by item, provider, scope, resource and fingerprint."""
    return (
        -f.severity.rank,
        f.guideline_items[0] if f.guideline_items else "",
        f.provider,
        f.scope,
        f.resource.name if f.resource else "",
        f.fingerprint,
    )


# The reports' bucket order: one function for every writer (and the scan's own), so buckets on
# disk (spill) are ordered once, or not at all when they come in this order already.
bucket_sort_key = bucket_order

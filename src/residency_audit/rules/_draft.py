"""A finding before the engine grades it (classification shift, mitigation) and fingerprints it."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Bucket, FindingLocation, Severity, Text

__all__ = ["Draft", "bucket_draft"]


@dataclass(frozen=True)
class Draft:
    rule_id: str
    items: tuple[str, ...]
    base_severity: Severity
    provider: str
    scope: str
    bucket: Bucket | None  # None for scope-level findings (attestations)
    location: FindingLocation | None
    message: Text
    remediation: Text
    unverified: bool = False
    cmk_mitigable: bool = False  # only (1)-3 findings; never (2)-x
    subject: str | None = None  # extra identity for the fingerprint (gap field, attestation item)


def bucket_draft(
    bucket: Bucket,
    rule_id: str,
    items: tuple[str, ...],
    severity: Severity,
    message: Text,
    remediation: Text,
    *,
    unverified: bool = False,
    subject: str | None = None,
) -> Draft:
    """A finding about the bucket as a whole (not one of its locations)."""
    return Draft(
        rule_id=rule_id,
        items=items,
        base_severity=severity,
        provider=bucket.provider,
        scope=bucket.scope,
        bucket=bucket,
        location=None,
        message=message,
        remediation=remediation,
        unverified=unverified,
        subject=subject,
    )

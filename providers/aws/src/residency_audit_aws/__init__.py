"""residency-audit's AWS provider: S3 buckets of an account or a whole AWS Organization, with every
place a copy lives (replicas, AWS Backup copies, KMS keys, Multi-Region Access Point members)."""

from __future__ import annotations

from .provider import AwsProvider

__all__ = ["AwsProvider"]

"""Every AWS operation the plugin may call, and the IAM action each one needs.

This table is the single declaration: ``client.py`` refuses to call an operation missing from it,
and the least-privilege policy is generated from it, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ASSUME_ROLE",
    "OPERATIONS",
    "is_read_operation",
    "permission_policy",
    "required_permissions",
]

# (botocore service name, operation name) -> IAM action, or None where IAM needs no permission.
OPERATIONS: Mapping[tuple[str, str], str | None] = {
    ("sts", "GetCallerIdentity"): None,  # IAM: "no permissions are required"
    ("organizations", "ListAccounts"): "organizations:ListAccounts",
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketLocation"): "s3:GetBucketLocation",
    # HeadBucket is only used for the region of a destination bucket we may not read: S3 answers
    # x-amz-bucket-region even with 403, so we deliberately do not grant s3:ListBucket (which
    # would let the auditor list object keys).
    ("s3", "HeadBucket"): None,
    ("s3", "GetBucketTagging"): "s3:GetBucketTagging",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketPolicyStatus"): "s3:GetBucketPolicyStatus",
    ("s3", "GetBucketPolicy"): "s3:GetBucketPolicy",
    ("s3", "GetBucketAcl"): "s3:GetBucketAcl",
    ("s3", "GetBucketOwnershipControls"): "s3:GetBucketOwnershipControls",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3control", "ListMultiRegionAccessPoints"): "s3:ListMultiRegionAccessPoints",
    ("backup", "ListBackupPlans"): "backup:ListBackupPlans",
    ("backup", "GetBackupPlan"): "backup:GetBackupPlan",
    ("backup", "ListBackupSelections"): "backup:ListBackupSelections",
    ("backup", "GetBackupSelection"): "backup:GetBackupSelection",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    # `catalog check` only: the partition's regions, as the account and the public SSM
    # parameters /aws/service/global-infrastructure/regions list them
    ("account", "ListRegions"): "account:ListRegions",
    ("ssm", "GetParametersByPath"): "ssm:GetParametersByPath",
    ("ssm", "GetParameters"): "ssm:GetParameters",
}

# The one non-read call: taking the audit role in each member account. It changes nothing in the
# audited account; the policy grants it only on the configured role name, only in organisation mode.
ASSUME_ROLE = ("sts", "AssumeRole")

_READ_PREFIXES = ("Get", "List", "Head", "Describe")


def is_read_operation(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


def required_permissions() -> list[str]:
    """The IAM actions of every declared read operation, sorted."""
    return sorted({action for action in OPERATIONS.values() if action})


def permission_policy(*, role_names: Sequence[str] = ()) -> dict[str, Any]:
    """An IAM policy granting exactly the declared read actions.

    Attach it to the audit role in every account (and to the caller in the management account).
    With ``role_names`` (organisation mode) it also allows assuming those roles in member accounts.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ResidencyAuditRead",
            "Effect": "Allow",
            "Action": required_permissions(),
            "Resource": "*",
        }
    ]
    if role_names:
        statements.append(
            {
                "Sid": "ResidencyAuditAssumeAuditRole",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": [f"arn:*:iam::*:role/{name}" for name in sorted(set(role_names))],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}

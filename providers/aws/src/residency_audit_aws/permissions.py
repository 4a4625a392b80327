"""Every AWS operation the plugin may call, and the IAM action each one needs.

This table is the single declaration: ``client.py`` refuses to call an operation missing from it,
and the least-privilege policy is generated from it, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ASSUME_ROLE",
    "CALLER_ONLY",
    "INVENTORY_ONLY",
    "MEMBER_POLICY_NAME",
    "OPERATIONS",
    "cloudformation_template",
    "is_read_operation",
    "management_policy",
    "member_permissions",
    "member_policy",
    "permission_policy",
    "required_permissions",
    "split_role_name",
    "trust_policy",
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
    # copies made around the buckets: CloudFront edge caches and DataSync transfer tasks
    ("cloudfront", "ListDistributions"): "cloudfront:ListDistributions",
    ("datasync", "ListLocations"): "datasync:ListLocations",
    ("datasync", "ListTasks"): "datasync:ListTasks",
    ("datasync", "DescribeTask"): "datasync:DescribeTask",
    # metadata exports: trails recording S3 data events, server access logs, inventory reports
    ("cloudtrail", "DescribeTrails"): "cloudtrail:DescribeTrails",
    ("cloudtrail", "GetEventSelectors"): "cloudtrail:GetEventSelectors",
    ("cloudtrail", "GetTrailStatus"): "cloudtrail:GetTrailStatus",
    ("s3", "GetBucketLogging"): "s3:GetBucketLogging",
    # IAM names the action for ListBucketInventoryConfigurations s3:GetInventoryConfiguration
    ("s3", "ListBucketInventoryConfigurations"): "s3:GetInventoryConfiguration",
    # `catalog check` only: the partition's regions, as the account and the public SSM
    # parameters /aws/service/global-infrastructure/regions list them
    ("account", "ListRegions"): "account:ListRegions",
    ("ssm", "GetParametersByPath"): "ssm:GetParametersByPath",
    ("ssm", "GetParameters"): "ssm:GetParameters",
    # source = "inventory" only (config_source.py): the buckets' configuration items, read from
    # the AWS Config aggregator with the caller's credentials (where the aggregator lives)
    ("config", "SelectAggregateResourceConfig"): "config:SelectAggregateResourceConfig",
    ("config", "ListAggregateDiscoveredResources"): "config:ListAggregateDiscoveredResources",
    ("config", "BatchGetAggregateResourceConfig"): "config:BatchGetAggregateResourceConfig",
    ("config", "DescribeConfigurationAggregatorSourcesStatus"): (
        "config:DescribeConfigurationAggregatorSourcesStatus"
    ),
}

# Granted only to a scan with source = "inventory": a live scan's policy stays as it was.
INVENTORY_ONLY: frozenset[tuple[str, str]] = frozenset(op for op in OPERATIONS if op[0] == "config")

# Made only with the caller's own credentials, never through the member role: listing the
# organisation, and `catalog check`'s region lists (live_regions.py reads them in the home region
# of each partition, as the caller). Every other operation is made in each scanned account.
CALLER_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        ("organizations", "ListAccounts"),
        ("account", "ListRegions"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameters"),
        *INVENTORY_ONLY,
    }
)

# The one non-read call: taking the audit role in each member account. It changes nothing in the
# audited account; the policy grants it only on the configured role name, only in organisation mode.
ASSUME_ROLE = ("sts", "AssumeRole")

_READ_PREFIXES = ("Get", "List", "Head", "Describe", "Select", "BatchGet")


def is_read_operation(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


def required_permissions(*, inventory: bool = False) -> list[str]:
    """The IAM actions of every declared read operation, sorted (the AWS Config reads only
    with ``inventory``: source = "inventory")."""
    return sorted(
        {a for op, a in OPERATIONS.items() if a and (inventory or op not in INVENTORY_ONLY)}
    )


def permission_policy(*, role_names: Sequence[str] = (), inventory: bool = False) -> dict[str, Any]:
    """An IAM policy granting exactly the declared read actions.

    Attach it to the audit role in every account (and to the caller in the management account).
    With ``role_names`` (organisation mode) it also allows assuming those roles in member accounts.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ResidencyAuditRead",
            "Effect": "Allow",
            "Action": required_permissions(inventory=inventory),
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


# --- ready-made documents (`residency-audit permissions aws --organization/--member-role`) -----

_VERSION = "2012-10-17"
MEMBER_POLICY_NAME = "residency-audit-read"


def member_permissions() -> list[str]:
    """The IAM actions of every declared read made in a scanned account: what the member role
    needs. The caller-only reads (``CALLER_ONLY``) are left out."""
    return sorted({a for op, a in OPERATIONS.items() if a and op not in CALLER_ONLY})


def _reads(actions: list[str]) -> dict[str, Any]:
    return {"Sid": "ResidencyAuditRead", "Effect": "Allow", "Action": actions, "Resource": "*"}


def member_policy() -> dict[str, Any]:
    """The member role's permissions policy."""
    return {"Version": _VERSION, "Statement": [_reads(member_permissions())]}


def management_policy(partition: str, role_name: str, *, inventory: bool = False) -> dict[str, Any]:
    """The management (caller) account's policy in organisation mode: every declared read (its
    own account is scanned with its own credentials, and `catalog check` runs as it), listing the
    organisation, and assuming the member role: that role name only, in that partition only."""
    return {
        "Version": _VERSION,
        "Statement": [
            _reads(required_permissions(inventory=inventory)),
            {
                "Sid": "ResidencyAuditAssumeMemberRole",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": [f"arn:{partition}:iam::*:role/{role_name}"],
            },
        ],
    }


def trust_policy(principal: Any, external_id: Any = None) -> dict[str, Any]:
    """The member role's trust policy: ``principal`` (the management account's root ARN) may
    assume it, with ``sts:ExternalId`` equal to ``external_id`` when one is set. Either may be a
    CloudFormation intrinsic."""
    statement: dict[str, Any] = {
        "Sid": "ResidencyAuditManagementAccount",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": _VERSION, "Statement": [statement]}


def split_role_name(role_name: str) -> tuple[str, str]:
    """IAM's path and name of a ``role_name``: ``audit/Reader`` -> ``/audit/``, ``Reader``."""
    path, _, name = role_name.rpartition("/")
    return (f"/{path}/" if path else "/"), name


def cloudformation_template(
    role_name: str, management_account: str | None, external_id: str | None, generator: str
) -> dict[str, Any]:
    """A CloudFormation template of the member role, for a StackSet over the organisation.

    Nothing in it is regional and the partition is ``${AWS::Partition}``, so one template serves
    every account and partition; IAM is global, so a StackSet deploys it to one region. The
    management account, role name and ExternalId are parameters (defaults from the request: with
    no management account the parameter has no default and must be given); an empty ExternalId
    leaves the condition out.
    """
    path, name = split_role_name(role_name)
    account: dict[str, Any] = {
        "Type": "String",
        "Description": "The account that runs residency-audit (the organisation's management "
        "account): it may assume this role.",
        "AllowedPattern": r"^\d{12}$",
        "ConstraintDescription": "a 12-digit AWS account id",
    }
    if management_account:
        account["Default"] = management_account
    trusted = trust_policy(
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"},
        {"Ref": "ExternalId"},
    )
    statement = trusted["Statement"][0]
    statement["Condition"] = {
        "Fn::If": ["HasExternalId", statement["Condition"], {"Ref": "AWS::NoValue"}]
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"residency-audit read-only member role ({generator}): reads S3, AWS "
        "Backup and KMS key settings to locate every copy of the data; no object read, no write.",
        "Parameters": {
            "ManagementAccountId": account,
            "RoleName": {
                "Type": "String",
                "Description": "Name of the role: [providers.aws] role_name of the scan.",
                "Default": name,
                "AllowedPattern": r"^[\w+=,.@-]{1,64}$",
            },
            "ExternalId": {
                "Type": "String",
                "Description": "ExternalId the management account passes ([providers.aws] "
                "external_id); empty for none.",
                "Default": external_id or "",
                "AllowedPattern": r"^[\w+=,.@:/-]*$",
                "MaxLength": 1224,
            },
        },
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Path": path,
                    "Description": "residency-audit: read-only audit of where storage keeps "
                    "copies of data",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": trusted,
                    "Policies": [
                        {"PolicyName": MEMBER_POLICY_NAME, "PolicyDocument": member_policy()}
                    ],
                },
            }
        },
        "Outputs": {
            "RoleArn": {
                "Description": "The role residency-audit assumes in this account",
                "Value": {"Fn::GetAtt": ["AuditRole", "Arn"]},
            }
        },
    }

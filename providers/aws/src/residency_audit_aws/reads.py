"""Every AWS read the plugin makes: what it feeds and what its failure hides.

One row per operation of ``permissions.OPERATIONS`` (a test keeps the two tables in step and the
README shows this one). The collector builds each failed read's gap from its row, so a gap records
exactly what the unread answer could have shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from residency_audit.model import Evidence, Gap, Hidden
from residency_audit.reads import ReadSpec

if TYPE_CHECKING:  # normalize builds gaps from this table; importing it here would be circular
    from .normalize import Failure

__all__ = ["READS", "read_gap"]

_COPY = (Hidden.COPY,)
_KEY = (Hidden.KEY,)
_PUBLIC = (Hidden.PUBLIC_ACCESS,)

READS: Mapping[tuple[str, str], ReadSpec] = {
    ("sts", "GetCallerIdentity"): ReadSpec("the account the credentials belong to", None),
    ("sts", "AssumeRole"): ReadSpec("the audit role in each member account", None),
    ("organizations", "ListAccounts"): ReadSpec(
        "the organisation's accounts: the scopes, and who counts as external", None
    ),
    ("ec2", "DescribeRegions"): ReadSpec(
        "the enabled regions, whose AWS Backup plans are read up front (without it, each "
        "bucket's own region is read)",
        None,
        fails_scope=False,
    ),
    ("s3", "ListBuckets"): ReadSpec("the account's buckets (and their regions)", None),
    ("s3", "GetBucketLocation"): ReadSpec(
        "the bucket's region (primary location; where aws/s3 and key ids resolve; which "
        "region's backup plans apply) and each replication destination's region; HeadBucket "
        "is tried next",
        "region",
        (Hidden.COPY, Hidden.KEY),
    ),
    ("s3", "HeadBucket"): ReadSpec(
        "a bucket's region when GetBucketLocation is refused (S3 sends it even with 403)",
        "region",
        (Hidden.COPY, Hidden.KEY),
    ),
    ("s3", "GetBucketTagging"): ReadSpec(
        "the classification tags, and AWS Backup selections by tag",
        "tags",
        (Hidden.CLASSIFICATION,),
    ),
    ("s3", "GetBucketEncryption"): ReadSpec(
        "the encryption tier and the KMS key, whose region (and replicas) are key locations",
        "encryption",
        _KEY,
    ),
    ("kms", "DescribeKey"): ReadSpec(
        "whether the key is customer-managed, and a multi-Region key's replica regions",
        "encryption.key",
        _KEY,
    ),
    ("s3", "GetBucketReplication"): ReadSpec(
        "replication destinations and replica keys", "replication", (Hidden.COPY, Hidden.KEY)
    ),
    ("s3control", "ListMultiRegionAccessPoints"): ReadSpec(
        "the other member buckets of the bucket's Multi-Region Access Points",
        "multi_region_access_points",
        _COPY,
    ),
    ("cloudfront", "ListDistributions"): ReadSpec(
        "CloudFront distributions whose origin is one of the account's buckets: their price "
        "class's edge countries (narrowed by the geo restriction) hold possible cached copies; "
        "a failure leaves the gap on every bucket of the account",
        "cloudfront",
        _COPY,
    ),
    ("datasync", "ListLocations"): ReadSpec(
        "DataSync locations, read in the regions the tasks' locations are in: the bucket, file "
        "system or server each task reads from and writes to; a failure leaves the gap on every "
        "bucket those tasks could copy",
        "datasync",
        _COPY,
    ),
    ("datasync", "ListTasks"): ReadSpec(
        "DataSync tasks of a region, which may copy a bucket to another region or outside AWS; "
        "a failure leaves the gap on every bucket the region's tasks could copy",
        "datasync",
        _COPY,
    ),
    ("datasync", "DescribeTask"): ReadSpec(
        "a DataSync task's source and destination locations, status and schedule",
        "datasync",
        _COPY,
    ),
    # metadata exports: trails recording object-level events, access logs, inventory reports
    ("cloudtrail", "DescribeTrails"): ReadSpec(
        "the trails that can record a region's buckets (its own, multi-region trails homed "
        "elsewhere and organisation trails, as shadow trails); read once per region holding a "
        "bucket, a failure leaves the gap on every bucket of that region",
        "cloudtrail",
        _COPY,
    ),
    ("cloudtrail", "GetEventSelectors"): ReadSpec(
        "which buckets' S3 data events a trail records (object keys, delivered to the trail's "
        "bucket and log group); a trail whose selectors are unread counts as recording every "
        "bucket it can, possibly",
        "cloudtrail",
        _COPY,
    ),
    ("cloudtrail", "GetTrailStatus"): ReadSpec(
        "whether a recording trail is logging (one that stopped leaves its past deliveries: "
        "possible copies); unread, it counts as logging",
        "cloudtrail",
        _COPY,
    ),
    ("s3", "GetBucketLogging"): ReadSpec(
        "the server access logs' target bucket (every request's object key)",
        "server_access_logging",
        _COPY,
    ),
    ("s3", "ListBucketInventoryConfigurations"): ReadSpec(
        "S3 Inventory report destinations (every object's key and metadata), which may be "
        "another account's bucket",
        "inventory_reports",
        _COPY,
    ),
    ("backup", "ListBackupPlans"): ReadSpec("AWS Backup copy destinations", "backup", _COPY),
    ("backup", "GetBackupPlan"): ReadSpec("AWS Backup copy destinations", "backup", _COPY),
    ("backup", "ListBackupSelections"): ReadSpec(
        "which buckets a backup plan protects", "backup", _COPY
    ),
    ("backup", "GetBackupSelection"): ReadSpec(
        "which buckets a backup plan protects", "backup", _COPY
    ),
    ("s3control", "GetPublicAccessBlock"): ReadSpec(
        "account-level Block Public Access", "public_access.account_block", _PUBLIC
    ),
    ("s3", "GetPublicAccessBlock"): ReadSpec(
        "bucket-level Block Public Access", "public_access.bucket_block", _PUBLIC
    ),
    ("s3", "GetBucketPolicyStatus"): ReadSpec(
        "whether the bucket policy makes the bucket public", "public_access.policy_status", _PUBLIC
    ),
    ("s3", "GetBucketAcl"): ReadSpec("ACL grants to everyone", "public_access.acl", _PUBLIC),
    ("s3", "GetBucketOwnershipControls"): ReadSpec(
        "whether ACLs are disabled (BucketOwnerEnforced)", "public_access.ownership", _PUBLIC
    ),
    # `catalog check` only; a failure is named in the check's problems, the other list stays
    ("account", "ListRegions"): ReadSpec(
        "catalog check: the partition's regions, every opt-in status (disabled ones exist too); "
        "a failure is one of the check's problems",
        None,
        fails_scope=False,
    ),
    ("ssm", "GetParametersByPath"): ReadSpec(
        "catalog check: the regions the public SSM parameters "
        "/aws/service/global-infrastructure/regions list; a failure is one of the check's problems",
        None,
        fails_scope=False,
    ),
    ("ssm", "GetParameters"): ReadSpec(
        "catalog check: each listed region's name (its longName parameter); a failure is one of "
        "the check's problems",
        None,
        fails_scope=False,
    ),
    # source = "inventory" (config_source.py): a failure fails the scan's scopes, as a failed
    # ListBuckets does; a setting an item lacks is read live
    ("config", "SelectAggregateResourceConfig"): ReadSpec(
        "source = inventory: every bucket's configuration item from the AWS Config aggregator "
        "(an advanced query, 100 a call), and the accounts holding buckets",
        None,
    ),
    ("config", "ListAggregateDiscoveredResources"): ReadSpec(
        "source = inventory (inventory_query = list): the aggregator's buckets, their accounts "
        "and regions",
        None,
    ),
    ("config", "BatchGetAggregateResourceConfig"): ReadSpec(
        "source = inventory (inventory_query = list): 100 buckets' configuration items a call",
        None,
    ),
    ("config", "DescribeConfigurationAggregatorSourcesStatus"): ReadSpec(
        "source = inventory (freshness = aggregator): when each source account and region was "
        "last aggregated, what max_age is measured against; it hides nothing: a failed read "
        "leaves each item's capture time as the basis (an aggregator-source-status note), so "
        "more is read live, never less",
        None,
        fails_scope=False,
    ),
    ("s3", "GetBucketPolicy"): ReadSpec(
        "principals outside the organisation granted access (and, when there is no policy, "
        "that no policy makes the bucket public)",
        "external_principals",
        (Hidden.EXTERNAL_ACCESS,),
    ),
}


def read_gap(
    service: str,
    operation: str,
    failure: Failure,
    *,
    note: str = "",
    label: str = "",
    why: str = "aws.read-failed",
    subject: str = "",
) -> Gap:
    """The gap a failed read leaves: its row's field and what it hides, with the API error.

    ``label`` names the call in the reason (default: the operation); ``note`` is appended, and
    ``why`` is the reason's term key, with ``subject`` (default: the call), the error code and the
    API's message as its values.
    """
    reason = failure.describe(label or operation) + note
    words = Evidence(
        key=why,
        subject=subject or label or operation,
        value=failure.code,
        text=failure.message or None,
    )
    return READS[service, operation].gap(reason, failure.code, words)

"""Pure functions: API-shaped JSON (as boto3 returns it) -> residency_audit.model types.

Inputs that could not be read arrive as :class:`Failure` with the API's error code, so every
function here can say UNKNOWN with a reason instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from residency_audit.model import (
    Certainty,
    Encryption,
    EncryptionTier,
    Evidence,
    Gap,
    Location,
    Role,
)

from . import arns
from .reads import READS, read_gap

__all__ = [
    "PROVIDER",
    "SSE_S3_BY_DEFAULT",
    "DestinationRegion",
    "Failure",
    "Read",
    "arn_region",
    "bucket_arn",
    "dedupe",
    "destination_bucket_names",
    "encryption",
    "encryption_rule",
    "key_locations",
    "mrap_locations",
    "mrap_members",
    "primary_region",
    "replication",
    "replication_locations",
    "tags",
]

PROVIDER = "aws"


@dataclass(frozen=True)
class Failure:
    """A read that failed: the API error code and message."""

    code: str
    message: str = ""

    def describe(self, operation: str) -> str:
        return f"{operation} failed: {self.code}" + (f" ({self.message})" if self.message else "")


Read = Mapping[str, Any] | Failure


@dataclass(frozen=True)
class DestinationRegion:
    region: str | None
    unknown_reason: str | None = None
    transient: bool = False  # unread because of a transient failure: worth asking again
    why: Evidence | None = None  # the reason as values (``reason.<key>`` terms)


# the key's region is taken from the bucket's (an id or alias resolves there)
KEY_FOLLOWS_BUCKET = Evidence(key="aws.key-region-follows-bucket")
DESTINATION_MISSING = DestinationRegion(
    None,
    "destination bucket does not exist (NoSuchBucket)",
    why=Evidence(key="aws.destination-missing", value="NoSuchBucket"),
)
NOT_LOOKED_UP = DestinationRegion(
    None, "destination region not looked up", why=Evidence(key="aws.destination-not-looked-up")
)


def primary_region(location_constraint: str | None, default: str = "us-east-1") -> str:
    """GetBucketLocation's LocationConstraint -> region: null means us-east-1, ``EU`` eu-west-1."""
    if not location_constraint:
        return default
    if location_constraint == "EU":
        return "eu-west-1"
    return location_constraint


def bucket_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:s3:::{name}"


def dedupe(locations: Iterable[Location]) -> tuple[Location, ...]:
    return tuple(dict.fromkeys(locations))


def tags(response: Read) -> tuple[dict[str, str] | None, Gap | None]:
    """GetBucketTagging -> tags; NoSuchTagSet means no tags, anything else is a gap."""
    if isinstance(response, Failure):
        if response.code == "NoSuchTagSet":
            return {}, None
        return None, read_gap("s3", "GetBucketTagging", response)
    return {str(t["Key"]): str(t.get("Value", "")) for t in response.get("TagSet", [])}, None


# --- encryption and keys -------------------------------------------------------------------


def encryption_rule(response: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """GetBucketEncryption -> (SSE algorithm, KMS key id) of the default-encryption rule."""
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default:
            return default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    return None, None


def arn_region(arn: str) -> str | None:
    """The region field of an ARN; None when it has none (or is not an ARN)."""
    return arns.region_of(arn)


def _is_aws_managed_alias(key_id: str) -> bool:
    return key_id == "alias/aws/s3" or key_id.endswith(":alias/aws/s3")


def key_locations(
    metadata: Mapping[str, Any] | None, key_id: str, bucket_region: str | None, mechanism: str
) -> list[Location]:
    """Where the key material lives: its own region and, for multi-Region keys, every sibling."""
    own = arn_region(str(metadata["Arn"])) if metadata else None
    if own is None:
        own = arn_region(key_id) or bucket_region  # ids and aliases resolve in the bucket's region
    target = str(metadata["Arn"]) if metadata else key_id
    locations = [
        Location(
            role=Role.KEY,
            provider=PROVIDER,
            region=own,
            mechanism=mechanism,
            target=target,
            unknown_reason=None if own else "bucket region unknown, so the key's is too",
            why=None if own else KEY_FOLLOWS_BUCKET,
        )
    ]
    config = (metadata or {}).get("MultiRegionConfiguration") or {}
    siblings = [config.get("PrimaryKey") or {}, *config.get("ReplicaKeys", [])]
    for sibling in siblings:
        region = sibling.get("Region")
        if region and region != own:
            locations.append(
                Location(
                    role=Role.KEY,
                    provider=PROVIDER,
                    region=region,
                    mechanism="kms-multi-region-key",
                    target=sibling.get("Arn"),
                )
            )
    return locations


# S3 has applied SSE-S3 to every new object since 2023-01-05, so a bucket without a default
# encryption configuration still encrypts what is written now; objects written before that date
# were stored as they were uploaded. ("Starting January 5, 2023, all new object uploads to Amazon
# S3 are automatically encrypted": https://docs.aws.amazon.com/AmazonS3/latest/userguide/
# UsingServerSideEncryption.html, and its Default encryption FAQ, default-encryption-faq.html).
# The detail's term (encryption_detail.aws.sse-s3-default) tells the reader so.
SSE_S3_BY_DEFAULT = (Evidence(key="aws.sse-s3-default"),)
# What each SSEAlgorithm of the service model (botocore s3 service-2.json, enum
# ServerSideEncryption) means, for the values that are not KMS. aws:fsx: S3 access points attached
# to an Amazon FSx file system, which FSx always encrypts at rest with the file system's KMS key
# (FSx for OpenZFS user guide, "Server-side encryption with Amazon FSx (SSE-FSX)"). aws:backup:
# data held by AWS Backup, encrypted with the backup vault's KMS key (AWS Backup developer guide,
# "Encryption for backups in AWS Backup"). Neither response names the key. Each maps to its
# label (for gap reasons) and its detail key (encryption_detail.aws.sse-fsx / .backup).
_SERVICE_ENCRYPTION = {
    "aws:fsx": ("SSE-FSX", "aws.sse-fsx"),
    "aws:backup": ("AWS Backup", "aws.backup"),
}
_KMS = {"aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}
_KMS_DETAIL = {"SSE-KMS": "aws.sse-kms", "DSSE-KMS": "aws.dsse-kms"}


def _service_encryption(
    algorithm: str, key_id: str | None
) -> tuple[Encryption, list[Location], list[Gap]]:
    """aws:fsx / aws:backup: encrypted by that service; a key location only where named."""
    label, detail = _SERVICE_ENCRYPTION[algorithm]
    enc = Encryption(
        tier=EncryptionTier.PROVIDER_MANAGED,
        key_id=key_id,
        details=(Evidence(key=detail, subject=algorithm),),
    )
    region = arn_region(key_id) if key_id else None
    if region and key_id:
        loc = Location(
            role=Role.KEY, provider=PROVIDER, region=region, mechanism=algorithm, target=key_id
        )
        return enc, [loc], []
    reason = (
        f"SSEAlgorithm {algorithm}: the response does not say where the {label} key is held, "
        "nor whether it is customer-managed"
    )
    why = Evidence(key="aws.kms-key-unlocated", subject=algorithm)
    return enc, [], [READS["s3", "GetBucketEncryption"].gap(reason, why=why)]


def encryption(
    response: Read,
    key: Read | None,
    bucket_region: str | None,
) -> tuple[Encryption, list[Location], list[Gap]]:
    """Default encryption -> tier, key locations and gaps.

    ``key`` is the DescribeKey response for the rule's key (None when the rule names no key).
    """
    if isinstance(response, Failure):
        if response.code == "ServerSideEncryptionConfigurationNotFoundError":
            return (
                Encryption(tier=EncryptionTier.PROVIDER_MANAGED, details=SSE_S3_BY_DEFAULT),
                [],
                [],
            )
        gap = read_gap("s3", "GetBucketEncryption", response)
        return Encryption(tier=EncryptionTier.UNKNOWN), [], [gap]
    algorithm, key_id = encryption_rule(response)
    if algorithm is None:  # a configuration without a default rule (e.g. BucketKeyEnabled only)
        return Encryption(tier=EncryptionTier.PROVIDER_MANAGED, details=SSE_S3_BY_DEFAULT), [], []
    if algorithm == "AES256":
        sse_s3 = (Evidence(key="aws.sse-s3"),)
        return Encryption(tier=EncryptionTier.PROVIDER_MANAGED, details=sse_s3), [], []
    if algorithm in _SERVICE_ENCRYPTION:
        return _service_encryption(algorithm, key_id)
    if algorithm not in _KMS:
        gap = READS["s3", "GetBucketEncryption"].gap(
            f"SSEAlgorithm {algorithm!r} is not one S3 documents: encryption and key unknown",
            why=Evidence(key="aws.sse-algorithm-unknown", subject=algorithm),
        )
        return (
            Encryption(
                tier=EncryptionTier.UNKNOWN,
                details=(Evidence(key="aws.sse-unknown", subject=algorithm),),
            ),
            [],
            [gap],
        )
    label = _KMS[algorithm]
    mechanism = label.lower()
    detail = _KMS_DETAIL[label]
    if not key_id:
        # No key named: S3 uses the AWS managed key aws/s3 in the bucket's region.
        loc = Location(
            role=Role.KEY,
            provider=PROVIDER,
            region=bucket_region,
            mechanism=mechanism,
            target="alias/aws/s3",
            derived=True,
            unknown_reason=None if bucket_region else "bucket region unknown, so the key's is too",
            why=None if bucket_region else KEY_FOLLOWS_BUCKET,
        )
        enc = Encryption(
            tier=EncryptionTier.PROVIDER_MANAGED,
            key_id="alias/aws/s3",
            details=(Evidence(key=detail, value="aws-default-key"),),
        )
        return enc, [loc], []
    if isinstance(key, Mapping):
        metadata = key.get("KeyMetadata", {})
        manager = metadata.get("KeyManager")
        tier = {
            "CUSTOMER": EncryptionTier.CUSTOMER_MANAGED,
            "AWS": EncryptionTier.PROVIDER_MANAGED,
        }.get(str(manager), EncryptionTier.UNKNOWN)
        managed = {"CUSTOMER": "customer-managed", "AWS": "aws-managed"}.get(str(manager))
        details = [Evidence(key=detail, value=managed)]
        if metadata.get("Origin") in ("EXTERNAL", "EXTERNAL_KEY_STORE", "AWS_CLOUDHSM"):
            details.append(Evidence(key="aws.kms-origin", value=str(metadata["Origin"])))
        if metadata.get("MultiRegion"):
            details.append(Evidence(key="aws.kms-multi-region"))
        enc = Encryption(tier=tier, key_id=str(metadata.get("Arn", key_id)), details=tuple(details))
        return enc, key_locations(metadata, key_id, bucket_region, mechanism), []
    failure = key if isinstance(key, Failure) else Failure("NotRead")
    locations = key_locations(None, key_id, bucket_region, mechanism)
    if _is_aws_managed_alias(key_id):
        enc = Encryption(
            tier=EncryptionTier.PROVIDER_MANAGED,
            key_id=key_id,
            details=(Evidence(key=detail, value="aws-managed"),),
        )
        return enc, locations, []
    gap = read_gap(
        "kms",
        "DescribeKey",
        failure,
        label="kms:DescribeKey",
        note="; customer- or AWS-managed and multi-Region replicas unknown",
        why="aws.key-read-failed",
    )
    unread = Encryption(tier=EncryptionTier.UNKNOWN, key_id=key_id, details=(Evidence(key=detail),))
    return unread, locations, [gap]


# --- replication ---------------------------------------------------------------------------


def _destination_name(bucket: str) -> str:
    return arns.bucket_name(bucket)


def destination_bucket_names(response: Mapping[str, Any]) -> list[str]:
    rules = response.get("ReplicationConfiguration", {}).get("Rules", [])
    names = (_destination_name(str(r.get("Destination", {}).get("Bucket", ""))) for r in rules)
    return list(dict.fromkeys(n for n in names if n))


def replication(
    response: Read, regions: Mapping[str, DestinationRegion]
) -> tuple[list[Location], list[Gap]]:
    """GetBucketReplication -> replica locations, or a gap when it could not be read.

    ReplicationConfigurationNotFoundError is S3's answer for a bucket with no replication: no
    copy, and nothing hidden.
    """
    if isinstance(response, Failure):
        if response.code == "ReplicationConfigurationNotFoundError":
            return [], []
        return [], [read_gap("s3", "GetBucketReplication", response)]
    return replication_locations(response, regions), []


def replication_locations(
    response: Mapping[str, Any], regions: Mapping[str, DestinationRegion]
) -> list[Location]:
    """GetBucketReplication -> one replica location per rule destination (+ replica KMS keys).

    A disabled rule replicates nothing new, but S3 does not delete what it copied while the rule
    was enabled: the destination stays a POSSIBLE replica. A rule's V1 ``Prefix`` or V2 ``Filter``
    narrows which objects are copied, not where, so every rule counts whatever its filter.
    """
    locations: list[Location] = []
    for rule in response.get("ReplicationConfiguration", {}).get("Rules", []):
        dest = rule.get("Destination", {})
        arn = str(dest.get("Bucket", ""))
        name = _destination_name(arn)
        answer = regions.get(name, NOT_LOOKED_UP)
        account = dest.get("Account")
        target = f"{arn} (account {account})" if account else arn
        enabled = rule.get("Status") == "Enabled"
        locations.append(
            Location(
                role=Role.REPLICA,
                provider=PROVIDER,
                region=answer.region,
                mechanism="s3-replication" if enabled else "s3-replication (rule disabled)",
                target=target,
                certainty=Certainty.CONFIRMED if enabled else Certainty.POSSIBLE,
                unknown_reason=answer.unknown_reason,
                why=answer.why,
            )
        )
        replica_key = dest.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
        if replica_key:
            region = arn_region(str(replica_key)) or answer.region
            locations.append(
                Location(
                    role=Role.KEY,
                    provider=PROVIDER,
                    region=region,
                    mechanism="s3-replication-kms",
                    target=str(replica_key),
                    unknown_reason=None if region else "replica key region unknown",
                    why=None if region else Evidence(key="aws.replica-key-region-unknown"),
                )
            )
    return locations


# --- multi-Region access points ------------------------------------------------------------


@dataclass(frozen=True)
class MrapMember:
    access_point: str
    bucket: str
    region: str | None
    account: str | None


def mrap_members(reports: Sequence[Mapping[str, Any]]) -> dict[str, list[MrapMember]]:
    """ListMultiRegionAccessPoints -> bucket name -> every member of each MRAP it belongs to."""
    by_bucket: dict[str, list[MrapMember]] = {}
    for report in reports:
        members = [
            MrapMember(
                access_point=str(report.get("Name", "")),
                bucket=str(r.get("Bucket", "")),
                region=r.get("Region"),
                account=r.get("BucketAccountId"),
            )
            for r in report.get("Regions", [])
        ]
        for member in members:
            by_bucket.setdefault(member.bucket, []).extend(members)
    return by_bucket


def mrap_locations(bucket: str, members: Sequence[MrapMember]) -> list[Location]:
    """Every other member of the bucket's access points: writes through the access point land in
    whichever member is nearest, so the dataset may live in any member's region."""
    return [
        Location(
            role=Role.MULTI_REGION_MEMBER,
            provider=PROVIDER,
            region=m.region,
            mechanism="s3-multi-region-access-point",
            target=f"{m.access_point}: {m.bucket}"
            + (f" (account {m.account})" if m.account else ""),
            certainty=Certainty.POSSIBLE,
            unknown_reason=None if m.region else "access point did not report the member's region",
            why=None if m.region else Evidence(key="aws.mrap-member-region-missing"),
        )
        for m in members
        if m.bucket != bucket
    ]

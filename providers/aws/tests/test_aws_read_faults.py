"""Unknown is never safe, read by read: refusing any one operation a full scan makes loses nothing.

One estate on in-process moto, rich enough that the clean scan has findings under every
bucket-level guideline item. For every operation the clean scan made, the same scan is repeated
with that operation failing on every call -- refused (AccessDenied), throttled (SlowDown, retries
spent) and timed out (botocore's ReadTimeoutError) -- and compared pair by pair with
:func:`residency_audit.testing.lost_under_fault`.

Faults are injected with the recorder's botocore ``before-call`` hook (conftest.py): moto enforces
no IAM and cannot throttle or stall on request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import boto3
import botocore.exceptions
import pytest

from residency_audit.model import Classification, Hidden
from residency_audit.profiles import load_profile
from residency_audit.reads import markdown_table
from residency_audit.results import ScanResult
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import collect, evaluate_inventory
from residency_audit.testing import lost_under_fault
from residency_audit_aws import AwsProvider
from residency_audit_aws.permissions import OPERATIONS
from residency_audit_aws.reads import READS

from .conftest import Recorder, fake_credentials
from .test_aws_moto import make_bucket

REGIONS = ["us-east-1", "ap-northeast-1", "ap-east-1", "ap-southeast-1", "eu-west-1"]
SETTINGS = {"max_attempts": 1, "regions": REGIONS}
PARTNER = "999988887777"  # an account outside the scanned one


def _bucket(name: str, region: str, tags: dict[str, str] | None = None, **kwargs: Any) -> None:
    make_bucket(name, region, **kwargs)
    if tags:
        boto3.client("s3").put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )


def _encrypt(name: str, key_arn: str) -> None:
    boto3.client("s3").put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    }
                }
            ]
        },
    )


def _seed() -> None:
    """Findings under (2)-1, (2)-2, (1)-3, (1)-note, (1)-2 and (2)-3, with every kind of read."""
    s3 = boto3.client("s3")
    # a Tokyo bucket replicating to Hong Kong, classified sensitive
    _bucket("jp-designs", "ap-northeast-1", {"data-classification": "sensitive"})
    _bucket("hk-designs-dr", "ap-east-1")
    s3.put_bucket_versioning(Bucket="jp-designs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket="jp-designs",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": "dr",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::hk-designs-dr"},
                }
            ],
        },
    )
    # a multi-Region key with a replica in Hong Kong, on a bucket in Tokyo
    kms = boto3.client("kms", region_name="ap-northeast-1")
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=mrk["KeyId"], ReplicaRegion="ap-east-1")
    _bucket("jp-keyed", "ap-northeast-1", {"classification": "internal"})
    _encrypt("jp-keyed", mrk["Arn"])
    # a Singapore bucket (not a designated country) with a customer-managed key in Tokyo
    tokyo_key = kms.create_key()["KeyMetadata"]["Arn"]
    _bucket("sg-sales", "ap-southeast-1")
    _encrypt("sg-sales", tokyo_key)
    # a public bucket classified public, and one shared with an outside account
    _bucket("eu-brochures", "eu-west-1", {"data-classification": "public"}, ACL="public-read")
    _bucket("us-exports", "us-east-1")
    s3.put_bucket_policy(
        Bucket="us-exports",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::us-exports/*",
                    }
                ]
            }
        ),
    )
    # a bucket whose bucket-level block is fully on: the block reads decide it
    _bucket("jp-blocked", "ap-northeast-1")
    s3.put_public_access_block(
        Bucket="jp-blocked",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"],
            True,
        ),
    )
    s3.put_bucket_ownership_controls(
        Bucket="jp-blocked",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    # a backup plan in Ireland (moto cannot list its selections: a backup gap in every scan)
    boto3.client("backup", region_name="eu-west-1").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}],
        }
    )
    # a Multi-Region Access Point across Tokyo and Hong Kong
    boto3.client("s3control", region_name="us-west-2").create_multi_region_access_point(
        AccountId="123456789012",
        ClientToken="t",
        Details={
            "Name": "designs",
            "Regions": [{"Bucket": "jp-keyed"}, {"Bucket": "hk-designs-dr"}],
        },
    )


def _seed_around() -> None:
    """Copies made around buckets: an edge cache and a transfer task."""
    # CloudFront with every edge location in front of the Tokyo bucket
    boto3.client("cloudfront", region_name="us-east-1").create_distribution(
        DistributionConfig={
            "CallerReference": "designs",
            "Comment": "",
            "Enabled": True,
            "PriceClass": "PriceClass_All",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "jp-designs.s3.ap-northeast-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
        }
    )
    # a DataSync task copying the Singapore bucket to the Hong Kong one
    datasync = boto3.client("datasync", region_name="ap-southeast-1")
    role = {"BucketAccessRoleArn": "arn:aws:iam::123456789012:role/datasync"}
    source, destination = (
        datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{b}", S3Config=role)["LocationArn"]
        for b in ("sg-sales", "hk-designs-dr")
    )
    datasync.create_task(SourceLocationArn=source, DestinationLocationArn=destination)


def _seed_exports() -> None:
    """Metadata exports: a trail recording a Tokyo bucket's data events into Hong Kong, its
    server access logs and an inventory report in another account's bucket."""
    cloudtrail = boto3.client("cloudtrail", region_name="ap-northeast-1")
    cloudtrail.create_trail(Name="keyed-events", S3BucketName="hk-designs-dr")
    cloudtrail.put_event_selectors(
        TrailName="keyed-events",
        EventSelectors=[
            {"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::jp-keyed/"]}]}
        ],
    )
    cloudtrail.start_logging(Name="keyed-events")
    _bucket("jp-logs", "ap-northeast-1")
    s3 = boto3.client("s3", region_name="ap-northeast-1")
    delivery = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::jp-logs/*",
    }
    s3.put_bucket_policy(Bucket="jp-logs", Policy=json.dumps({"Statement": [delivery]}))
    s3.put_bucket_logging(
        Bucket="jp-keyed",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "jp-logs", "TargetPrefix": ""}},
    )
    destination = {"AccountId": PARTNER, "Bucket": "arn:aws:s3:::jp-logs", "Format": "CSV"}
    s3.put_bucket_inventory_configuration(
        Bucket="jp-keyed",
        Id="weekly",
        InventoryConfiguration={
            "Id": "weekly",
            "IsEnabled": True,
            "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Weekly"},
            "Destination": {"S3BucketDestination": destination},
        },
    )


def _scan(recorder: Recorder) -> ScanResult:
    provider = AwsProvider.from_settings(SETTINGS, session_factory=recorder)
    inventory = collect({"aws": provider})
    return evaluate_inventory(
        inventory, load_profile("jp-default"), EvaluationSettings(today=date(2026, 12, 1))
    )


@dataclass(frozen=True)
class Kind:
    name: str
    code: str
    status: int


REFUSED = Kind("refused", "AccessDenied", 403)
THROTTLED = Kind("throttled", "SlowDown", 503)
TIMEOUT = Kind("timeout", "ReadTimeoutError", 0)


class _TimingOut(Recorder):
    """Every call of one operation raises botocore's read timeout, as a stalled endpoint does."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__()
        self._target = (service, operation)

    def _inject(self, model: Any, context: dict[str, Any], **kwargs: Any) -> Any:
        if (model.service_model.service_name, model.name) == self._target:
            raise botocore.exceptions.ReadTimeoutError(endpoint_url="https://injected.invalid/")
        return super()._inject(model=model, context=context, **kwargs)


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[ScanResult, set[tuple[str, str]]]]:
    """The seeded moto estate, its clean scan and the operations that scan made."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        fake_credentials(mp)
        with mock_aws():
            _seed()
            _seed_around()
            _seed_exports()
            recorder = Recorder()
            clean = _scan(recorder)
            yield clean, recorder.operations()


# Every operation the clean scan of this estate makes. Not made here: organizations:ListAccounts
# and sts:AssumeRole (organisation mode: test_aws_moto.py refuses the role), s3:HeadBucket (only
# after GetBucketLocation fails, which is refused below), ec2:DescribeRegions (regions are
# configured) and backup:GetBackupSelection (moto cannot list selections; test_aws_stubbed.py).
MADE = sorted(
    {
        ("sts", "GetCallerIdentity"),
        ("s3", "ListBuckets"),
        ("s3", "GetBucketLocation"),
        ("s3", "GetBucketTagging"),
        ("s3", "GetBucketEncryption"),
        ("kms", "DescribeKey"),
        ("s3", "GetBucketReplication"),
        ("s3control", "ListMultiRegionAccessPoints"),
        ("backup", "ListBackupPlans"),
        ("backup", "GetBackupPlan"),
        ("backup", "ListBackupSelections"),
        ("s3control", "GetPublicAccessBlock"),
        ("s3", "GetPublicAccessBlock"),
        ("s3", "GetBucketPolicyStatus"),
        ("s3", "GetBucketPolicy"),
        ("s3", "GetBucketAcl"),
        ("s3", "GetBucketOwnershipControls"),
        ("cloudfront", "ListDistributions"),
        ("datasync", "ListLocations"),
        ("datasync", "ListTasks"),
        ("datasync", "DescribeTask"),
        ("cloudtrail", "DescribeTrails"),
        ("cloudtrail", "GetEventSelectors"),
        ("cloudtrail", "GetTrailStatus"),
        ("s3", "GetBucketLogging"),
        ("s3", "ListBucketInventoryConfigurations"),
    }
)


def test_the_clean_scan_has_findings_under_every_bucket_level_item(
    estate: tuple[ScanResult, set[tuple[str, str]]],
) -> None:
    clean, operations = estate
    items = {i for f in clean.findings if f.resource for i in f.guideline_items}
    assert items == {"(1)-2", "(1)-3", "(1)-note", "(2)-1", "(2)-2", "(2)-3"}
    assert operations == set(MADE)


@pytest.mark.parametrize("kind", [REFUSED, THROTTLED, TIMEOUT], ids=lambda k: k.name)
@pytest.mark.parametrize("operation", MADE, ids=lambda o: f"{o[0]}:{o[1]}")
def test_one_failing_read_loses_no_bucket_item_pair(
    estate: tuple[ScanResult, set[tuple[str, str]]], operation: tuple[str, str], kind: Kind
) -> None:
    clean, _ = estate
    service, op = operation
    if kind is TIMEOUT:
        recorder: Recorder = _TimingOut(service, op)
    else:
        recorder = Recorder()
        recorder.fail(service, op, kind.code, status=kind.status)

    faulted = _scan(recorder)

    assert lost_under_fault(clean, faulted) == []
    buckets = {b.uid: b for b in faulted.inventory.buckets}
    for bucket in buckets.values():
        assert all(g.reason for g in bucket.gaps)
    if buckets:  # the read failed per bucket: every bucket is still there
        assert set(buckets) == {b.uid for b in clean.inventory.buckets}


def test_refused_tags_make_the_classification_unknown_and_grade_as_sensitive(
    estate: tuple[ScanResult, set[tuple[str, str]]],
) -> None:
    clean, _ = estate
    recorder = Recorder()
    recorder.fail("s3", "GetBucketTagging", "AccessDenied")

    faulted = _scan(recorder)

    bucket = next(b for b in faulted.inventory.buckets if b.name == "eu-brochures")
    assert bucket.classification is Classification.UNKNOWN
    # the class rests on the unread tags (a gap says so), not on a tag
    assert any(Hidden.CLASSIFICATION in g.hides for g in bucket.gaps)
    assert bucket.classification_source is None
    assert any(Hidden.CLASSIFICATION in g.hides for g in bucket.gaps)
    public = [f for f in faulted.findings if f.resource and f.resource.name == "eu-brochures"]
    assert public and all(f.unverified for f in public)
    was = {f.fingerprint: f for f in clean.findings}
    # the clean scan lowered them (classified public); unread tags raise them, as if sensitive
    assert all(
        f.severity.rank > was[f.fingerprint].severity.rank for f in public if f.fingerprint in was
    )
    assert all(any("tags could not be read" in a.en for a in f.adjustments) for f in public)


def test_reads_table_covers_every_operation_and_the_readme_shows_it() -> None:
    from pathlib import Path

    assert set(READS) == set(OPERATIONS) | {("sts", "AssumeRole")}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    table = markdown_table({f"{s}:{o}": spec for (s, o), spec in READS.items()})
    assert table in readme

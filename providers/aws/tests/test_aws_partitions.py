"""Several partitions (issue 3) scanned through the core pipeline against in-process moto.

Each partition is configured with its own profile, whose credentials belong to a different account:
``global`` is moto's default account in ``aws``; ``china`` and ``govcloud`` hold temporary keys that
moto's STS issued for an account of ``aws-cn`` / ``aws-us-gov``, so moto attributes every call made
with them to that account (as real AWS does for keys of that partition). moto keeps each partition's
S3 in its own backend, chosen by the region a request is signed for, so the partition separation the
tests assert is moto's real state, not a stub.

What moto gets wrong about partitions, found in its source (moto 5.2.5):
- ``ec2:DescribeRegions`` answers with all 38 regions of every partition, whichever partition is
  asked: one list built from botocore's aws, aws-cn and aws-us-gov regions
  (``moto/ec2/models/availability_zones_and_regions.py``); real EC2 returns only the partition's
  own. The plugin keeps only the asking partition's regions (a region of another partition cannot
  be called with these credentials), so aws-cn and aws-us-gov let DescribeRegions run here.
- Nothing else needed a workaround: S3, S3 Control, STS, KMS and Backup all key their state by
  partition and answer on the ``amazonaws.com.cn`` endpoints botocore resolves for ``cn-*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from residency_audit.model import PublicVerdict, Role, ScopeStatus, Severity
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, finding_summary, scan_provider
from residency_audit_aws.testing import partition_session, profile_text

GLOBAL_ACCOUNT = "123456789012"  # moto's account for keys it never issued
CHINA_ACCOUNT = "210987654321"
GOV_ACCOUNT = "310987654321"
_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# bucket -> (partition, account, region)
ESTATE = {
    "design-docs-virginia": ("aws", GLOBAL_ACCOUNT, "us-east-1"),
    "design-docs-tokyo": ("aws", GLOBAL_ACCOUNT, "ap-northeast-1"),
    "plant-data-beijing": ("aws-cn", CHINA_ACCOUNT, "cn-north-1"),
    "plant-data-ningxia": ("aws-cn", CHINA_ACCOUNT, "cn-northwest-1"),
    "defense-docs-oregon-gov": ("aws-us-gov", GOV_ACCOUNT, "us-gov-west-1"),
    "defense-docs-ohio-gov": ("aws-us-gov", GOV_ACCOUNT, "us-gov-east-1"),
}


def _seed(sessions: dict[str, boto3.Session]) -> None:
    for name, (partition, _, region) in ESTATE.items():
        s3 = sessions[partition].client("s3", region_name=region)
        config = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": config} if config else {}))
    # The China account blocks public access account-wide (S3 Control in aws-cn); the others do not.
    sessions["aws-cn"].client("s3control", region_name="cn-north-1").put_public_access_block(
        AccountId=CHINA_ACCOUNT, PublicAccessBlockConfiguration=dict.fromkeys(_FLAGS, True)
    )
    # Beijing replicates to Ningxia and is encrypted with a Beijing KMS key: both are looked up in
    # the aws-cn partition (destination region, key ARN).
    cn_s3 = sessions["aws-cn"].client("s3", region_name="cn-north-1")
    key = sessions["aws-cn"].client("kms", region_name="cn-north-1").create_key()["KeyMetadata"]
    cn_s3.put_bucket_encryption(
        Bucket="plant-data-beijing",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    cn_s3.put_bucket_versioning(
        Bucket="plant-data-beijing", VersioningConfiguration={"Status": "Enabled"}
    )
    cn_s3.put_bucket_replication(
        Bucket="plant-data-beijing",
        ReplicationConfiguration={
            "Role": f"arn:aws-cn:iam::{CHINA_ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "to-ningxia",
                    "Priority": 0,
                    "Status": "Enabled",
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws-cn:s3:::plant-data-ningxia"},
                }
            ],
        },
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResult]:
    from moto import mock_aws

    workdir = tmp_path_factory.mktemp("aws-partitions")
    env = {
        # seeding uses these; the scan must not: each partition names its own profile
        "AWS_ACCESS_KEY_ID": "AKIASEEDSEEDSEED0000",
        "AWS_SECRET_ACCESS_KEY": "seed-not-a-secret",
        "AWS_CONFIG_FILE": str(workdir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "credentials"),
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
    # mock_aws sets (and on exit deletes) fake keys of its own: patch the environment inside it
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            patch.delenv(name, raising=False)
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_DEFAULT_REGION"):
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        (workdir / "config").write_text("", encoding="utf-8")
        sessions = {
            "aws": boto3.Session(
                aws_access_key_id="AKIAGLOBALGLOBAL0000",
                aws_secret_access_key="global-not-a-secret",
            ),
            "aws-cn": partition_session("aws-cn", "cn-north-1", CHINA_ACCOUNT),
            "aws-us-gov": partition_session("aws-us-gov", "us-gov-west-1", GOV_ACCOUNT),
        }
        _seed(sessions)
        profiles = {"aws": "global", "aws-cn": "china", "aws-us-gov": "govcloud"}
        (workdir / "credentials").write_text(
            "".join(profile_text(profiles[p], s) for p, s in sessions.items()), encoding="utf-8"
        )
        patch.delenv("AWS_ACCESS_KEY_ID")
        patch.delenv("AWS_SECRET_ACCESS_KEY")
        settings: dict[str, Any] = {
            "max_attempts": 1,
            # a top-level list serves every partition: aws-cn and aws-us-gov find none of theirs
            # in it, so they ask DescribeRegions (and keep only their own of moto's answer)
            "regions": ["us-east-1", "ap-northeast-1"],
            "partitions": {p: {"profile": profile} for p, profile in profiles.items()},
        }
        yield scan_provider("aws", settings, workdir)


def test_each_partition_account_is_its_own_complete_scope(result: ScanResult) -> None:
    ids = [s.scope for s in result.inventory.scopes]
    assert sorted(ids) == sorted([GLOBAL_ACCOUNT, CHINA_ACCOUNT, GOV_ACCOUNT])  # each once
    scopes = {s.scope: s for s in result.inventory.scopes}
    assert all(s.status is ScopeStatus.COMPLETE for s in scopes.values())
    for account in scopes:
        expected = sorted(name for name, (_, a, _) in ESTATE.items() if a == account)
        assert sorted(b.name for b in result.inventory.buckets if b.scope == account) == expected
        assert scopes[account].bucket_count == len(expected)


def test_no_bucket_is_listed_twice_or_under_another_partition(result: ScanResult) -> None:
    names = [b.name for b in result.inventory.buckets]
    assert sorted(names) == sorted(ESTATE)  # each exactly once
    for b in result.inventory.buckets:
        partition, account, region = ESTATE[b.name]
        assert (b.scope, b.uid) == (account, f"arn:{partition}:s3:::{b.name}")
        [primary] = [loc for loc in b.locations if loc.role is Role.PRIMARY]
        assert primary.region == region
    for f in result.findings:
        if f.resource is not None:
            partition, account, _ = ESTATE[f.resource.name]
            assert (f.scope, f.resource.uid.split(":")[1]) == (account, partition)


def test_china_buckets_are_critical_concern_findings(result: ScanResult) -> None:
    for name in ("plant-data-beijing", "plant-data-ningxia"):
        assert ("location.concern", Severity.CRITICAL, "CN") in finding_summary(result, name)
    concern = [
        f
        for f in result.findings
        if f.rule_id == "location.concern" and f.resource and f.resource.name.startswith("plant")
    ]
    assert all("(2)-1" in f.guideline_items for f in concern)
    beijing = [f for f in concern if f.resource and f.resource.name == "plant-data-beijing"]
    assert {f.location.region for f in beijing if f.location} >= {"cn-north-1"}
    assert all(f.resource and f.resource.uid.startswith("arn:aws-cn:s3:::") for f in concern)


def test_china_replication_and_key_resolve_inside_aws_cn(result: ScanResult) -> None:
    beijing = bucket_named(result, "plant-data-beijing")
    assert [(loc.region, loc.target) for loc in beijing.locations if loc.role is Role.REPLICA] == [
        ("cn-northwest-1", "arn:aws-cn:s3:::plant-data-ningxia")
    ]
    keys = [loc for loc in beijing.locations if loc.role is Role.KEY]
    assert [loc.region for loc in keys] == ["cn-north-1"]
    assert all((loc.target or "").startswith("arn:aws-cn:kms:cn-north-1:") for loc in keys)
    assert not beijing.gaps


def test_account_settings_stay_in_their_partition(result: ScanResult) -> None:
    # read through S3 Control's aws-cn endpoint, and applied to the China account's buckets only
    assert bucket_named(result, "plant-data-ningxia").public_access.verdict is PublicVerdict.BLOCKED
    for name in ("design-docs-tokyo", "defense-docs-oregon-gov"):
        assert bucket_named(result, name).public_access.verdict is not PublicVerdict.BLOCKED


def test_coverage_notes_name_no_region_of_another_partition(result: ScanResult) -> None:
    # aws-cn and aws-us-gov asked DescribeRegions; both of their regions are enabled, so a note
    # about "regions not enabled" there could only come from another partition's regions
    own = {GLOBAL_ACCOUNT: "aws", CHINA_ACCOUNT: "aws-cn", GOV_ACCOUNT: "aws-us-gov"}
    foreign = {
        "aws": ("cn-", "us-gov-"),
        "aws-cn": ("us-", "ap-", "eu-", "us-gov-"),
        "aws-us-gov": ("cn-", "ap-", "eu-"),
    }
    for scope in result.inventory.scopes:
        words = [w.strip(",.;") for note in scope.notes for w in note.detail.split()]
        assert not [w for w in words if w.startswith(foreign[own[scope.scope]])]
        if scope.scope != GLOBAL_ACCOUNT:
            # China's CloudFront (edges in mainland China) has no catalog rows: said, not read
            kinds = [n.kind for n in scope.notes]
            assert kinds == (["cdn-not-read"] if scope.scope == CHINA_ACCOUNT else [])


def test_govcloud_buckets_are_in_the_us_and_not_concern(result: ScanResult) -> None:
    for name in ("defense-docs-oregon-gov", "defense-docs-ohio-gov"):
        b = bucket_named(result, name)
        assert b.uid == f"arn:aws-us-gov:s3:::{name}"
        summary = finding_summary(result, name)
        assert not {f for f in summary if f[0] == "location.concern"}
    gov = [
        f.location.country
        for f in result.findings
        if f.location and f.resource and f.resource.name.startswith("defense")
    ]
    assert set(gov) <= {"US"}

"""What a scan costs in API calls: only the reads that can change the answer, each made once.

At 150 ms a round trip every call a bucket does not need is time a user waits, so these count the
calls the plugin makes against in-process moto (the recorder sees every operation): nine reads a
bucket, six when the account blocks public access, tags only when something uses them, one
region look-up per bucket name, and a fixed cost that does not grow with the bucket count.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import boto3
import pytest

from residency_audit.model import Bucket, Certainty, PublicVerdict, Role
from residency_audit_aws import AwsProvider
from residency_audit_aws import client as client_module
from residency_audit_aws.backup import RegionBackup, plan_from_responses
from residency_audit_aws.collector import AccountScan, ScanContext
from residency_audit_aws.ratelimit import RateLimiter
from residency_audit_aws.settings import parse_settings
from residency_audit_aws.testing import default_encryption, replication_rule

pytestmark = pytest.mark.usefixtures("moto")

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "ap-northeast-1", "ap-east-1"]
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# what every bucket is read for (GetBucketPolicyStatus only when there is a policy)
EXPORTS = {"GetBucketLogging", "ListBucketInventoryConfigurations"}  # access logs, inventory
NINE = EXPORTS | {
    "GetBucketLocation",
    "GetBucketEncryption",
    "GetBucketReplication",
    "GetBucketPolicy",
    "GetPublicAccessBlock",
    "GetBucketAcl",
    "GetBucketOwnershipControls",
}
BLOCKED_ACCOUNT = EXPORTS | {"GetBucketLocation", "GetBucketEncryption", "GetBucketReplication"}


def _s3(region: str) -> Any:
    return boto3.client("s3", region_name=region)


def _make(name: str, region: str, **kwargs: Any) -> None:
    where: dict[str, Any] = {}
    if region != "us-east-1":
        where["CreateBucketConfiguration"] = {"LocationConstraint": region}
    _s3(region).create_bucket(Bucket=name, **where, **kwargs)


def _replicate(source: str, destination: str) -> None:
    client = _s3("us-east-1")
    client.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [replication_rule(1, destination)],
        },
    )


def _key(region: str) -> str:
    """The region's one key (made on first use): every encrypted bucket shares it."""
    kms = boto3.client("kms", region_name=region)
    keys = kms.list_keys()["Keys"]
    return str(keys[0]["KeyArn"] if keys else kms.create_key()["KeyMetadata"]["Arn"])


def _estate(first: int, count: int) -> list[str]:
    """Buckets of mixed settings that share keys and replication destinations."""
    names = []
    for i in range(first, first + count):
        region = REGIONS[i % len(REGIONS)]
        name = f"estate-{i:03d}"
        _make(name, region, **({"ACL": "public-read"} if i % 4 == 0 else {}))
        s3 = _s3(region)
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "internal"}]}
        )
        if i % 2 == 0:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration=default_encryption(
                    "aws:kms", _key("ap-northeast-1")
                ),
            )
        if i % 3 == 0:
            _replicate(name, "estate-dest-hk")
        names.append(name)
    return names


class Counting:
    """A session factory that records each S3 call's (operation, bucket) and when it was sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []  # service, operation, bucket
        self.sent: list[float] = []
        self._lock = threading.Lock()

    def _call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        with self._lock:
            self.calls.append((model.service_model.service_name, model.name, params.get("Bucket")))

    def _send(self, **_: Any) -> None:
        with self._lock:
            self.sent.append(time.monotonic())

    def __call__(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(**kwargs)
        session.events.register("before-parameter-build", self._call)
        session.events.register("before-send", self._send)  # runs after the rate limiter's
        return session

    def by_bucket(self) -> dict[str, collections.Counter[str]]:
        found: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for service, operation, bucket in self.calls:
            if service == "s3" and bucket:
                found[bucket][operation] += 1
        return found


def _scan(
    counting: Counting, tag_keys: frozenset[str] | None = frozenset(), **settings: Any
) -> dict[str, Bucket]:
    provider = AwsProvider.from_settings(
        {"regions": REGIONS, "max_attempts": 1, **settings}, session_factory=counting
    )
    if tag_keys is not None:
        provider.use_tag_keys(tag_keys)
    return {
        item.name: item
        for scope in provider.scopes()
        for item in provider.buckets(scope)
        if isinstance(item, Bucket)
    }


def test_a_bucket_costs_its_nine_reads_and_the_rest_does_not_grow_with_the_estate() -> None:
    _make("estate-dest-hk", "ap-east-1")
    small = _estate(0, 6)
    first = Counting()
    _scan(first)
    for name in small:
        assert first.by_bucket()[name] == collections.Counter(NINE), name

    _estate(6, 6)  # as many again, of the same shapes (same key, same destination)
    second = Counting()
    _scan(second)

    # the six new buckets cost exactly their nine reads each: the key, the destination's region,
    # the account's block, its access points, each region's backup plans and trails are read
    # once a scan
    assert len(second.calls) - len(first.calls) == 9 * 6
    # 13 buckets with the destination; the rest is the fixed account and region reads
    assert len(second.calls) / 13 < 11


def test_tags_are_read_only_when_the_scan_uses_them() -> None:
    _make("estate-dest-hk", "ap-east-1")
    _estate(0, 3)
    unused, used, untold = Counting(), Counting(), Counting()

    without = _scan(unused, frozenset())
    with_keys = _scan(used, frozenset({"data-classification"}))
    _scan(untold, None)  # a provider told nothing reads them, as before

    tag_reads = {
        name: counting.by_bucket().get("estate-000", collections.Counter())["GetBucketTagging"]
        for name, counting in (("unused", unused), ("used", used), ("untold", untold))
    }
    assert tag_reads == {"unused": 0, "used": 1, "untold": 1}
    assert with_keys["estate-000"].tags == {"data-classification": "internal"}
    assert without["estate-000"].tags == {}
    assert not [g for g in without["estate-000"].gaps if g.field == "tags"]


def test_a_backup_selection_by_tag_has_the_tags_of_its_regions_buckets_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _make("tokyo-daily", "ap-northeast-1")
    _make("tokyo-other", "ap-northeast-1")
    _make("virginia-daily", "us-east-1")
    for name, region in (("tokyo-daily", "ap-northeast-1"), ("virginia-daily", "us-east-1")):
        _s3(region).put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": "backup", "Value": "daily"}]}
        )
    plan = plan_from_responses(
        {
            "BackupPlanId": "p1",
            "BackupPlan": {
                "BackupPlanName": "daily-to-singapore",
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": "tokyo-vault",
                        "CopyActions": [
                            {
                                "DestinationBackupVaultArn": "arn:aws:backup:ap-southeast-1:"
                                f"{ACCOUNT}:backup-vault:sg-vault"
                            }
                        ],
                    }
                ],
            },
        },
        "ap-northeast-1",
        ACCOUNT,
        [
            {
                "BackupSelection": {
                    "SelectionName": "by-tag",
                    "ListOfTags": [
                        {
                            "ConditionType": "STRINGEQUALS",
                            "ConditionKey": "backup",
                            "ConditionValue": "daily",
                        }
                    ],
                }
            }
        ],
    )
    # moto cannot list backup selections: the region's plans are given as AWS Backup returns them
    monkeypatch.setattr(
        AccountScan,
        "_region_backup",
        lambda self, region: RegionBackup(
            region=region, plans=(plan,) if region == "ap-northeast-1" else ()
        ),
    )
    counting = Counting()

    buckets = _scan(counting, frozenset())

    tag_reads = {b: ops["GetBucketTagging"] for b, ops in counting.by_bucket().items()}
    # Tokyo's plan selects by tag, so Tokyo's buckets have their tags read; Virginia's need none
    assert tag_reads == {"tokyo-daily": 1, "tokyo-other": 1, "virginia-daily": 0}
    daily = buckets["tokyo-daily"].locations
    copies = {loc.region: loc.certainty for loc in daily if loc.role is Role.BACKUP}
    assert copies == {"ap-northeast-1": Certainty.POSSIBLE, "ap-southeast-1": Certainty.POSSIBLE}
    assert not [loc for loc in buckets["tokyo-other"].locations if loc.role is Role.BACKUP]


def test_trails_cost_the_same_calls_for_three_buckets_as_for_twelve() -> None:
    _make("trail-logs-hk", "ap-east-1")
    cloudtrail = boto3.client("cloudtrail", region_name="ap-east-1")
    for trail in ("all-buckets", "management-only"):
        cloudtrail.create_trail(Name=trail, S3BucketName="trail-logs-hk", IsMultiRegionTrail=True)
    cloudtrail.put_event_selectors(
        TrailName="all-buckets",
        EventSelectors=[{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}],
    )

    def trail_calls(counting: Counting) -> collections.Counter[str]:
        return collections.Counter(op for svc, op, _ in counting.calls if svc == "cloudtrail")

    _estate(0, 3)  # one bucket in each of the three regions
    few = Counting()
    _scan(few)
    _estate(3, 9)
    many = Counting()
    buckets = _scan(many)

    # DescribeTrails once a region holding buckets, each trail's selectors once, and the status
    # of the one trail that records them once
    expected = {"DescribeTrails": 3, "GetEventSelectors": 2, "GetTrailStatus": 1}
    assert trail_calls(few) == trail_calls(many) == collections.Counter(expected)
    # the delivery bucket was located once, whatever the number of buckets it records
    assert many.by_bucket()["trail-logs-hk"]["GetBucketLocation"] == 1
    delivered = {loc.region for loc in buckets["estate-011"].locations if loc.role is Role.METADATA}
    assert delivered == {"ap-east-1"}


def test_an_account_that_blocks_public_access_costs_six_reads_a_bucket() -> None:
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
    )
    _make("estate-dest-hk", "ap-east-1")
    names = _estate(0, 4)
    counting = Counting()

    buckets = _scan(counting)

    for name in names:
        # the policy is still read: a grant to a named outside account is not public access, and
        # the account's block does not stop it
        assert counting.by_bucket()[name] == collections.Counter(
            BLOCKED_ACCOUNT | {"GetBucketPolicy"}
        ), name
        assert buckets[name].public_access is not None
        assert buckets[name].public_access.verdict is PublicVerdict.BLOCKED
        assert [e.key for e in buckets[name].public_access.evidence] == ["aws.bpa.account"]


def test_a_bucket_listed_with_its_region_costs_five_reads_in_a_blocking_account() -> None:
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
    )
    _make("hk-listed", "ap-east-1")
    counting = Counting()
    settings = parse_settings({"regions": REGIONS, "max_attempts": 1})
    from residency_audit_aws.client import AwsAccount

    account = AwsAccount(counting(), settings.partitions[0], settings)
    context = ScanContext(ACCOUNT, "aws", frozenset({ACCOUNT}), 2, read_tags=False)
    scan = AccountScan(account, context)
    scan._read_account_level()

    bucket = scan.bucket({"Name": "hk-listed", "BucketRegion": "ap-east-1"})  # as real S3 lists

    assert bucket.primary is not None and bucket.primary.region == "ap-east-1"
    assert counting.by_bucket()["hk-listed"] == collections.Counter(
        {"GetBucketEncryption": 1, "GetBucketReplication": 1, "GetBucketPolicy": 1}
        | dict.fromkeys(EXPORTS, 1)
    )


def test_a_bucket_that_is_also_a_replication_destination_is_located_once() -> None:
    _make("tokyo-orders", "ap-northeast-1")
    _make("orders-hk", "ap-east-1")
    _make("more-orders", "us-east-1")
    _replicate("tokyo-orders", "orders-hk")
    _replicate("more-orders", "orders-hk")
    counting = Counting()

    buckets = _scan(counting)

    assert counting.by_bucket()["orders-hk"]["GetBucketLocation"] == 1
    replicas = [loc.region for loc in buckets["tokyo-orders"].locations if loc.role is Role.REPLICA]
    assert replicas == ["ap-east-1"]
    assert buckets["orders-hk"].primary is not None
    assert buckets["orders-hk"].primary.region == "ap-east-1"


def test_the_request_rate_cap_holds_exactly_at_the_default_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _make("estate-dest-hk", "ap-east-1")
    _estate(0, 9)
    counting = Counting()
    rate = 20.0
    # When each token was granted, read under the limiter's lock: a timestamp taken after it (in
    # a later handler) can lag by however long a loaded machine delays that thread.
    granted: list[float] = []

    class Recording(RateLimiter):
        def acquire(self) -> float:
            at = super().acquire()
            granted.append(at)
            return at

    monkeypatch.setattr(client_module, "RateLimiter", Recording)

    _scan(counting, max_requests_per_second=rate)

    assert len(granted) == len(counting.sent)  # every request sent waited for a token
    sent = sorted(granted)
    assert len(sent) > 2 * rate  # enough requests that the cap, not the burst, governs
    burst, slack = rate, 1e-6  # the bucket starts full
    worst = max(
        (j - i + 1) - (burst + rate * (sent[j] - sent[i] + slack))
        for i in range(len(sent))
        for j in range(i, len(sent))
    )
    assert worst <= 0, f"{worst:.1f} requests over the cap in some window"


def test_the_defaults_are_sized_for_a_distant_endpoint() -> None:
    settings = parse_settings({})
    from residency_audit_aws.client import AwsAccount

    account = AwsAccount(boto3.Session(), settings.partitions[0], settings)
    config = account.client("s3", "ap-northeast-1").meta.config

    assert settings.max_workers >= 32  # round trips in flight, not queued behind eight workers
    assert config.max_pool_connections >= settings.max_workers  # no worker waits for a socket
    assert config.retries["mode"] == "adaptive"  # throttling slows the sender down


@pytest.mark.parametrize(
    ("classification", "tags"),
    [
        ({}, {"data-classification": "internal"}),  # the default keys: tags are used, so read
        ({"keys": []}, {}),  # no classification keys: nothing uses the tags
    ],
)
def test_a_scan_tells_the_plugin_whether_its_classification_uses_tags(
    tmp_path: Any, classification: dict[str, Any], tags: dict[str, str]
) -> None:
    from residency_audit.config import parse_config
    from residency_audit.scan import run_scan

    _make("estate-dest-hk", "ap-east-1")
    _estate(0, 1)
    config = parse_config(
        {
            "profile": "jp-default",
            "providers": {"aws": {"regions": REGIONS, "max_attempts": 1}},
            "classification": classification,
        },
        source="<test>",
        base_dir=tmp_path,
    )

    result = run_scan(config)

    [bucket] = [b for b in result.inventory.buckets if b.name == "estate-000"]
    assert bucket.tags == tags


def test_edge_caches_and_transfer_tasks_cost_calls_an_account_and_a_region_not_a_bucket() -> None:
    _make("estate-dest-hk", "ap-east-1")
    _estate(0, 3)
    quiet = Counting()
    _scan(quiet)
    # an account with no DataSync task: one task listing a region, no location listing
    assert collections.Counter(
        (service, operation)
        for service, operation, _ in quiet.calls
        if service in ("cloudfront", "datasync")
    ) == {("cloudfront", "ListDistributions"): 1, ("datasync", "ListTasks"): len(REGIONS)}

    boto3.client("cloudfront", region_name="us-east-1").create_distribution(
        DistributionConfig={
            "CallerReference": "estate",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "estate-000.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
        }
    )
    datasync = boto3.client("datasync", region_name="ap-northeast-1")
    role = {"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/datasync"}
    source, destination = (
        datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{b}", S3Config=role)["LocationArn"]
        for b in ("estate-000", "estate-dest-hk")
    )
    datasync.create_task(SourceLocationArn=source, DestinationLocationArn=destination)

    def around(counting: Counting) -> collections.Counter[tuple[str, str]]:
        return collections.Counter(
            (service, operation)
            for service, operation, _ in counting.calls
            if service in ("cloudfront", "datasync")
        )

    first = Counting()
    small = _scan(first)
    _estate(3, 9)  # four times the buckets, the same distribution and task
    second = Counting()
    large = _scan(second)

    # one listing an account (a page a hundred distributions), a task listing a region, one
    # DescribeTask a task and a location listing in the one region its locations are in,
    # however many buckets there are
    expected = {
        ("cloudfront", "ListDistributions"): 1,
        ("datasync", "ListTasks"): len(REGIONS),
        ("datasync", "DescribeTask"): 1,
        ("datasync", "ListLocations"): 1,
    }
    assert around(first) == around(second) == expected
    # the origin and source bucket costs the reads of a bucket of its shape that is neither
    assert second.by_bucket()["estate-000"] == second.by_bucket()["estate-006"]
    for buckets in (small, large):
        roles = {loc.role for loc in buckets["estate-000"].locations}
        assert {Role.CACHE, Role.TRANSFER} <= roles
        assert not {Role.CACHE, Role.TRANSFER} & {
            loc.role for loc in buckets["estate-001"].locations
        }

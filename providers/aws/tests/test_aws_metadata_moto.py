"""Metadata exports against in-process moto: a Tokyo bucket's data events recorded by a trail that
delivers to Hong Kong, its access logs and its inventory reports, and what a user sees when each
read is refused.

moto implements trails (basic and advanced event selectors, shadow trails of multi-region trails,
start/stop logging), bucket logging (refusing a target in another region, as S3 does) and
inventory configurations, so everything here is real emulator state. A refusal (AccessDenied) is
injected with the recorder's before-call hook (conftest.py): moto enforces no IAM.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from residency_audit.catalog import load_catalog
from residency_audit.model import Bucket, Certainty, Hidden, Inventory, Role, ScopeResult
from residency_audit.profiles import load_profile
from residency_audit.rules import ClassificationSettings, EvaluationSettings, evaluate
from residency_audit_aws import AwsProvider

pytestmark = pytest.mark.usefixtures("moto")

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "ap-northeast-1", "ap-east-1"]
TOKYO = "tokyo-cad"


def make_bucket(name: str, region: str) -> None:
    where = {} if region == "us-east-1" else {"LocationConstraint": region}
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": where} if where else {}))


def trail(name: str, home: str, delivery: str, selectors: dict[str, Any], **kw: Any) -> str:
    cloudtrail = boto3.client("cloudtrail", region_name=home)
    arn = str(cloudtrail.create_trail(Name=name, S3BucketName=delivery, **kw)["TrailARN"])
    cloudtrail.put_event_selectors(TrailName=name, **selectors)
    return arn


DATA_EVENTS_OF_TOKYO = {
    "AdvancedEventSelectors": [
        {
            "Name": "cad data events",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{TOKYO}/"]},
            ],
        }
    ]
}


def scan(recorder: Any = None) -> dict[str, Bucket]:
    provider = AwsProvider.from_settings(
        {"regions": REGIONS, "max_attempts": 1}, session_factory=recorder
    )
    return {
        b.name: b
        for scope in provider.scopes()
        for b in provider.buckets(scope)
        if isinstance(b, Bucket)
    }


def metadata(bucket: Bucket) -> list[tuple[str | None, str, Certainty]]:
    return sorted(
        (loc.region, loc.mechanism, loc.certainty)
        for loc in bucket.locations
        if loc.role is Role.METADATA
    )


def findings(bucket: Bucket, *, every: bool = False) -> list[tuple[str, str, bool]]:
    """(guideline items, country or '', unverified) of the bucket's findings about metadata
    copies (``every``: all of them)."""
    inventory = load_catalog().resolve_inventory(
        Inventory(scopes=(ScopeResult(provider="aws", scope=ACCOUNT),), buckets=(bucket,))
    )
    settings = EvaluationSettings(
        classification=ClassificationSettings(), attestations=(), today=date(2026, 12, 3)
    )
    return sorted(
        (
            ",".join(f.guideline_items),
            (f.location.country or "") if f.location else "",
            f.unverified,
        )
        for f in evaluate(inventory, load_profile("jp-default"), settings)
        if every or (f.location is not None and f.location.role is Role.METADATA)
    )


def test_a_trail_recording_a_tokyo_buckets_data_events_puts_its_keys_in_hong_kong() -> None:
    make_bucket(TOKYO, "ap-northeast-1")
    make_bucket("other-tokyo", "ap-northeast-1")
    make_bucket("trail-logs-hk", "ap-east-1")
    # a multi-region trail homed in Virginia: Tokyo's DescribeTrails answers it as a shadow trail
    trail("cad-events", "us-east-1", "trail-logs-hk", DATA_EVENTS_OF_TOKYO, IsMultiRegionTrail=True)
    boto3.client("cloudtrail", region_name="us-east-1").start_logging(Name="cad-events")

    buckets = scan()

    assert metadata(buckets[TOKYO]) == [
        ("ap-east-1", "cloudtrail-data-events", Certainty.CONFIRMED)
    ]
    [location] = [loc for loc in buckets[TOKYO].locations if loc.role is Role.METADATA]
    assert location.target == f"trail-logs-hk (trail cad-events of account {ACCOUNT})"
    assert metadata(buckets["other-tokyo"]) == []  # the selector names only tokyo-cad
    # Hong Kong is a country of concern of the profile: item (2)-1, as a metadata copy
    assert ("(2)-1", "HK", False) in findings(buckets[TOKYO])


def test_a_stopped_trail_and_a_single_region_trail_elsewhere() -> None:
    make_bucket(TOKYO, "ap-northeast-1")
    make_bucket("trail-logs-hk", "ap-east-1")
    make_bucket("virginia-logs", "us-east-1")
    every = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    all_buckets = {"EventSelectors": [{"DataResources": every}]}
    trail("stopped", "ap-northeast-1", "trail-logs-hk", all_buckets)  # never started: not logging
    # a single-region trail of Virginia records Virginia's events only
    trail("virginia-only", "us-east-1", "virginia-logs", all_buckets)
    boto3.client("cloudtrail", region_name="us-east-1").start_logging(Name="virginia-only")

    buckets = scan()

    assert metadata(buckets[TOKYO]) == [
        ("ap-east-1", "cloudtrail-data-events (trail not logging)", Certainty.POSSIBLE)
    ]
    assert ("us-east-1", "cloudtrail-data-events", Certainty.CONFIRMED) in metadata(
        buckets["virginia-logs"]
    )


def _allow_log_delivery(target: str, region: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{target}/*",
            }
        ],
    }
    boto3.client("s3", region_name=region).put_bucket_policy(
        Bucket=target, Policy=json.dumps(policy)
    )


def _log_to(target: str, prefix: str = "") -> None:
    boto3.client("s3", region_name="ap-northeast-1").put_bucket_logging(
        Bucket=TOKYO,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}},
    )


def test_access_logs_and_inventory_reports_are_metadata_copies_where_they_go(
    recorder: Any,
) -> None:
    make_bucket(TOKYO, "ap-northeast-1")
    make_bucket("tokyo-logs", "ap-northeast-1")
    make_bucket("virginia-logs", "us-east-1")
    _allow_log_delivery("tokyo-logs", "ap-northeast-1")
    _allow_log_delivery("virginia-logs", "us-east-1")
    # S3 (and moto) refuse a logging target in another region
    with pytest.raises(ClientError, match="CrossLocationLoggingProhibited"):
        _log_to("virginia-logs")
    _log_to("tokyo-logs", "cad/")
    s3 = boto3.client("s3", region_name="ap-northeast-1")
    for config_id, destination, enabled in (
        ("weekly", "arn:aws:s3:::partner-inventory", True),  # another account's bucket
        ("old", "arn:aws:s3:::tokyo-logs", False),
    ):
        s3.put_bucket_inventory_configuration(
            Bucket=TOKYO,
            Id=config_id,
            InventoryConfiguration={
                "Id": config_id,
                "IsEnabled": enabled,
                "IncludedObjectVersions": "Current",
                "Schedule": {"Frequency": "Weekly"},
                "Destination": {
                    "S3BucketDestination": {
                        "AccountId": "999988887777",
                        "Bucket": destination,
                        "Format": "CSV",
                    }
                },
            },
        )
    # the partner's bucket refuses both region reads: no region header either
    for operation in ("GetBucketLocation", "HeadBucket"):
        recorder.fail(
            "s3", operation, "AccessDenied", lambda p: p.get("Bucket") == "partner-inventory"
        )

    buckets = scan(recorder)

    assert metadata(buckets[TOKYO]) == [
        ("ap-northeast-1", "s3-access-logging", Certainty.CONFIRMED),
        ("ap-northeast-1", "s3-inventory", Certainty.CONFIRMED),
        ("ap-northeast-1", "s3-inventory (configuration disabled)", Certainty.POSSIBLE),
    ]
    [partner] = [
        loc for loc in buckets[TOKYO].locations if loc.target and "partner-inventory" in loc.target
    ]
    # its region could not be read; S3 delivers inventory reports only within the source's
    # region, so that region is given, derived, with the reason
    assert partner.derived and partner.why is not None
    assert partner.why.key == "aws.export-same-region"
    assert findings(buckets[TOKYO]) == []  # Japan: nothing to report


@pytest.mark.parametrize(
    ("service", "operation", "field"),
    [
        ("cloudtrail", "DescribeTrails", "cloudtrail"),
        ("cloudtrail", "GetEventSelectors", "cloudtrail"),
        ("s3", "GetBucketLogging", "server_access_logging"),
        ("s3", "ListBucketInventoryConfigurations", "inventory_reports"),
    ],
)
def test_a_refused_read_is_a_copy_gap_and_an_unverified_finding(
    recorder: Any, service: str, operation: str, field: str
) -> None:
    make_bucket(TOKYO, "ap-northeast-1")
    make_bucket("trail-logs-hk", "ap-east-1")
    trail("cad-events", "ap-northeast-1", "trail-logs-hk", DATA_EVENTS_OF_TOKYO)
    code = "AccessDeniedException" if service == "cloudtrail" else "AccessDenied"
    recorder.fail(service, operation, code, status=400 if service == "cloudtrail" else 403)

    bucket = scan(recorder)[TOKYO]

    [gap] = [g for g in bucket.gaps if g.field == field]
    assert gap.hides == (Hidden.COPY,) and gap.error_code == code
    assert any(unverified for _, _, unverified in findings(bucket, every=True))

"""What max_age is measured against (freshness): an item's capture time is its last change, so
the aggregator's source status (DescribeConfigurationAggregatorSourcesStatus, which moto does
not implement) says how recently Config vouched for it. The Config client answers through
botocore's Stubber (requests and responses validated against botocore's service model); the
status entries have the AggregatedSourceStatus shape of AWS's API reference and that model. The
live reads an item falls back to run on in-process moto.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from residency_audit.errors import ConfigError
from residency_audit.model import Bucket, CoverageNote
from residency_audit.testing import read_provider
from residency_audit_aws import AwsProvider

from .config_rows import ACCOUNT, census, full_supplementary, row
from .conftest import Recorder
from .test_aws_config_select import AGGREGATOR, SETTINGS, like_the_item, pages, select
from .test_aws_config_select import stubbed as config_stub
from .test_aws_moto import make_bucket

pytestmark = pytest.mark.usefixtures("moto")

REGION = "ap-northeast-1"
NAME = "plant-ledger"
NOW = datetime.now(UTC)
MONTH_AGO = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
HOUR_AGO = NOW - timedelta(hours=1)
# the settings a stale item has read live (the ACL not: the account-wide block settles it)
S3_SETTINGS = {"GetBucketTagging", "GetBucketEncryption", "GetBucketReplication"}


def source(
    status: str = "SUCCEEDED",
    *,
    source_id: str = ACCOUNT,
    source_type: str = "ACCOUNT",
    region: str = REGION,
    updated: datetime = HOUR_AGO,
    **error: str,
) -> dict[str, Any]:
    """One AggregatedSourceStatus entry."""
    return {
        "SourceId": source_id,
        "SourceType": source_type,
        "AwsRegion": region,
        "LastUpdateStatus": status,
        "LastUpdateTime": updated,
        **error,
    }


def statuses(stubber: Stubber, entries: list[dict[str, Any]]) -> None:
    """The entries a page each (the status list is paged with NextToken)."""
    for n, entry in enumerate(entries or [None]):
        page: dict[str, Any] = {"AggregatedSourceStatusList": [entry] if entry else []}
        if n + 1 < len(entries):
            page["NextToken"] = f"status-{n + 1}"
        expected: dict[str, Any] = {"ConfigurationAggregatorName": AGGREGATOR, "Limit": 100}
        if n:
            expected["NextToken"] = f"status-{n}"
        stubber.add_response("describe_configuration_aggregator_sources_status", page, expected)


def scan(
    entries: list[dict[str, Any]] | None, **extra: Any
) -> tuple[Bucket, list[CoverageNote], Recorder]:
    """One bucket, its item captured a month ago; ``entries`` None: no status read expected."""
    make_bucket(NAME, REGION)
    like_the_item(NAME)
    # the account-wide Block Public Access answers ownership and policy status (never recorded)
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
    )
    recorder = Recorder()
    provider = AwsProvider.from_settings({**SETTINGS, **extra}, session_factory=recorder)
    stubber = config_stub(provider)
    select(stubber, census({ACCOUNT: 1}))
    if entries is not None:
        statuses(stubber, entries)
    pages([row(NAME, REGION, full_supplementary(NAME), captured=MONTH_AGO)], stubber)
    buckets, notes = read_provider(provider)
    stubber.assert_no_pending_responses()
    return buckets[NAME], notes, recorder


def s3_settings_read(recorder: Recorder) -> set[str]:
    return {op for s, op, p in recorder.calls if s == "s3" and op in S3_SETTINGS}


def kinds(notes: list[CoverageNote], kind: str) -> list[CoverageNote]:
    return [n for n in notes if n.kind == kind]


def test_a_month_old_item_whose_source_succeeded_an_hour_ago_is_fresh_and_reads_nothing() -> None:
    bucket, notes, recorder = scan([source()])

    assert bucket.read_live == ()
    assert s3_settings_read(recorder) == set()
    # the bucket is vouched for as of the aggregation, not its last change
    assert bucket.captured is not None and abs(bucket.captured - HOUR_AGO) < timedelta(seconds=1)
    assert not kinds(notes, "aggregator-source-status")
    [note] = kinds(notes, "inventory-source")
    assert MONTH_AGO[:10] in note.detail and "vouched for as of" in note.detail


def test_a_failed_source_leaves_the_capture_time_so_the_item_is_stale_and_noted() -> None:
    failed = source(
        "FAILED", LastErrorCode="AccessDeniedException", LastErrorMessage="not authorized"
    )
    bucket, notes, recorder = scan([failed])

    assert s3_settings_read(recorder) == S3_SETTINGS
    assert {"encryption", "replication", "tags"} <= set(bucket.read_live)
    assert bucket.captured is not None and bucket.captured.isoformat()[:10] == MONTH_AGO[:10]
    [note] = kinds(notes, "aggregator-source-status")
    assert f"source {ACCOUNT} (ACCOUNT, {REGION}) FAILED" in note.detail
    assert "AccessDeniedException: not authorized" in note.detail
    assert note.counts == {"buckets": 1} and not note.affects_completeness
    [fallback] = kinds(notes, "inventory-fallback")
    assert fallback.counts["reason.stale"] == 1


def test_an_outdated_source_or_another_regions_source_is_no_basis() -> None:
    outdated = [source("OUTDATED"), source(region="eu-west-1")]
    _, notes, recorder = scan(outdated)

    assert s3_settings_read(recorder) == S3_SETTINGS
    [note] = kinds(notes, "aggregator-source-status")
    assert "OUTDATED" in note.detail


def test_no_covering_source_is_noted_and_strict() -> None:
    _, notes, recorder = scan([source(source_id="210987654321")])

    assert s3_settings_read(recorder) == S3_SETTINGS
    [note] = kinds(notes, "aggregator-source-status")
    assert f"no source covers account {ACCOUNT} in {REGION}" in note.detail


def test_freshness_capture_measures_the_capture_time_and_reads_no_status() -> None:
    bucket, notes, recorder = scan(None, freshness="capture")

    assert s3_settings_read(recorder) == S3_SETTINGS
    assert {"encryption", "replication", "tags"} <= set(bucket.read_live)
    assert not [op for s, op, _ in recorder.calls if op.startswith("DescribeConfiguration")]
    assert not kinds(notes, "aggregator-source-status")


def test_an_organization_source_covers_its_regions_accounts() -> None:
    organization = [  # the covering entry on the second page
        source("FAILED", source_id="o-a1b2c3d4e5", source_type="ORGANIZATION", region="eu-west-1"),
        source(source_id="o-a1b2c3d4e5", source_type="ORGANIZATION"),
    ]
    bucket, notes, recorder = scan(organization)

    assert bucket.read_live == ()
    assert s3_settings_read(recorder) == set()
    assert not kinds(notes, "aggregator-source-status")


def test_a_denied_status_read_falls_back_to_the_capture_time_with_a_note() -> None:
    make_bucket(NAME, REGION)
    like_the_item(NAME)
    provider = AwsProvider.from_settings(SETTINGS)
    stubber = config_stub(provider)
    select(stubber, census({ACCOUNT: 1}))
    stubber.add_client_error(
        "describe_configuration_aggregator_sources_status",
        "AccessDeniedException",
        http_status_code=400,
    )
    pages([row(NAME, REGION, full_supplementary(NAME), captured=MONTH_AGO)], stubber)

    buckets, notes = read_provider(provider)

    stubber.assert_no_pending_responses()
    assert {"encryption", "replication", "tags"} <= set(buckets[NAME].read_live)
    [note] = kinds(notes, "aggregator-source-status")
    assert "DescribeConfigurationAggregatorSourcesStatus failed: AccessDeniedException" in (
        note.detail
    )


def test_an_unknown_freshness_names_its_key() -> None:
    with pytest.raises(ConfigError) as caught:
        AwsProvider.from_settings({**SETTINGS, "freshness": "latest"})
    assert caught.value.key == "providers.aws.freshness"

"""At -v the AWS plugin logs, per account, the regions its calls went to (the event
``aws.regions``, with the list as a field for --log-format json)."""

from __future__ import annotations

import logging

import boto3
import pytest

from residency_audit_aws import AwsProvider


def test_each_account_logs_the_regions_it_read(
    moto: None, caplog: pytest.LogCaptureFixture
) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(
        Bucket="tokyo-data", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    provider = AwsProvider.from_settings({"regions": ["ap-northeast-1", "eu-west-1"]})
    [scope] = provider.scopes()
    with caplog.at_level(logging.INFO, logger="residency_audit_aws"):
        list(provider.buckets(scope))
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "aws.regions"]
    regions = record.__dict__["regions"]
    assert {"us-east-1", "ap-northeast-1", "eu-west-1"} <= set(regions)  # home + configured
    assert regions == sorted(regions)
    assert record.getMessage() == f"aws account {scope.id}: regions read: {', '.join(regions)}"

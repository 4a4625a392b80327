"""Against moto_server over HTTP: AWS_ENDPOINT_URL alone points every client at the endpoint, S3
Control (account-level Block Public Access) included, through the account-host-stripping hook."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from residency_audit.model import Bucket, PublicVerdict
from residency_audit_aws import AwsProvider
from residency_audit_aws.testing import moto_server

pytestmark = pytest.mark.emulator
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@pytest.fixture
def endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url


def test_aws_endpoint_url_reaches_s3_control_for_account_block(endpoint: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")  # AWS_ENDPOINT_URL: the emulator
    s3.create_bucket(Bucket="site-assets", ACL="public-read")
    control = boto3.client("s3control", region_name="us-east-1")
    control.meta.events.register(
        "before-send.s3-control",
        lambda request, **_: setattr(request, "url", request.url.replace("123456789012.", "")),
    )
    control.put_public_access_block(
        AccountId="123456789012", PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
    )
    provider = AwsProvider.from_settings({"regions": ["us-east-1"], "max_attempts": 1})

    [scope] = provider.scopes()
    [bucket] = [b for b in provider.buckets(scope) if isinstance(b, Bucket)]

    # the public ACL is neutralised by the account-level block read through S3 Control
    assert bucket.public_access.verdict is PublicVerdict.BLOCKED
    assert not bucket.gaps

"""ARNs through botocore's ArnParser: the fields the plugin reads, and what is not an ARN."""

from __future__ import annotations

import pytest

from residency_audit_aws import arns


def test_the_fields_of_the_arns_the_plugin_reads() -> None:
    key = arns.parse("arn:aws:kms:ap-northeast-1:111122223333:key/abc")
    assert key == arns.Arn("aws", "kms", "ap-northeast-1", "111122223333", "key/abc")
    assert arns.region_of("arn:aws-cn:backup:cn-north-1:111122223333:backup-vault:v") == (
        "cn-north-1"
    )
    assert arns.account_of("arn:aws:cloudtrail:us-east-1:111122223333:trail/org") == (
        "111122223333"
    )
    # a bucket's ARN has neither region nor account
    assert arns.region_of("arn:aws:s3:::tokyo-data") is None
    assert arns.account_of("arn:aws:s3:::tokyo-data") is None
    assert arns.bucket_name("arn:aws:s3:::tokyo-data") == "tokyo-data"


@pytest.mark.parametrize("text", ["tokyo-data", "alias/aws/s3", "1234abcd-12ab", "", "arn:aws"])
def test_what_is_not_an_arn(text: str) -> None:
    assert arns.parse(text) is None and arns.region_of(text) is None
    assert arns.bucket_name(text) == text  # a bucket name is itself


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("arn:aws:iam::123456789012:root", "123456789012"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/r/s", "123456789012"),
        ("arn:aws:s3:::bucket", None),  # not a principal
        ("arn:aws:iam::12345:root", None),  # not an account id
        ("123456789012", None),  # a bare id is the caller's to judge
    ],
)
def test_principal_accounts(text: str, account: str | None) -> None:
    assert arns.principal_account(text) == account

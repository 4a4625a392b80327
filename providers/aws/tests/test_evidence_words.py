"""Every public-access fact and encryption detail the plugin records reaches the report in words:
a term for each key and value in both languages, codes (flags, permissions) only as codes."""

from __future__ import annotations

import pytest

from residency_audit.evidence import detail_text, evidence_text
from residency_audit.markup import plain
from residency_audit.model import Evidence
from residency_audit.testing import unworded
from residency_audit_aws import normalize as nz
from residency_audit_aws.normalize import Failure
from residency_audit_aws.public import ACCOUNT_BLOCK_EVIDENCE, public_access

FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
BLOCK_ALL = {"PublicAccessBlockConfiguration": dict.fromkeys(FLAGS, True)}
BLOCK_THREE = {"PublicAccessBlockConfiguration": dict.fromkeys(FLAGS, True) | {FLAGS[1]: False}}
NO_BLOCK = Failure("NoSuchPublicAccessBlockConfiguration")
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GROUP = "http://acs.amazonaws.com/groups/global/"
PUBLIC_ACL = {
    "Grants": [
        {"Grantee": {"URI": GROUP + "AllUsers"}, "Permission": "READ"},
        {"Grantee": {"URI": GROUP + "AuthenticatedUsers"}, "Permission": "WRITE"},
    ]
}
ENFORCED = {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
DENIED = Failure("AccessDenied")
CUSTOMER_KEY = {
    "KeyMetadata": {"Arn": KEY, "KeyManager": "CUSTOMER", "Origin": "EXTERNAL", "MultiRegion": True}
}


def _public_evidence() -> list[Evidence]:
    found = list(ACCOUNT_BLOCK_EVIDENCE)
    for account, bucket, policy, ownership in [
        (BLOCK_ALL, BLOCK_ALL, Failure("NoSuchBucketPolicy"), ENFORCED),
        (NO_BLOCK, NO_BLOCK, {"PolicyStatus": {"IsPublic": True}}, {}),
        (
            DENIED,
            DENIED,
            {"PolicyStatus": {"IsPublic": False}},
            Failure("OwnershipControlsNotFoundError"),
        ),
        (NO_BLOCK, BLOCK_THREE, Failure("NoSuchBucketPolicy"), {}),
    ]:
        access, _ = public_access(account, bucket, policy, PUBLIC_ACL, ownership)
        found += access.evidence
    return found


def _sse(algorithm: str, key: str | None = None) -> dict[str, object]:
    default = {"SSEAlgorithm": algorithm} | ({"KMSMasterKeyID": key} if key else {})
    return {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": default}]
        }
    }


def _details() -> list[Evidence]:
    reads = [
        (Failure("ServerSideEncryptionConfigurationNotFoundError"), None),
        (_sse("AES256"), None),
        (_sse("aws:fsx"), None),
        (_sse("aws:backup"), None),
        (_sse("aws:quantum"), None),
        (_sse("aws:kms"), None),
        (_sse("aws:kms", KEY), CUSTOMER_KEY),
        (_sse("aws:kms:dsse", KEY), {"KeyMetadata": {"Arn": KEY, "KeyManager": "AWS"}}),
        (_sse("aws:kms", "alias/aws/s3"), DENIED),
        (_sse("aws:kms", KEY), DENIED),
    ]
    return [
        d for response, key in reads for d in nz.encryption(response, key, "eu-west-1")[0].details
    ]


def test_every_public_access_fact_is_worded_in_both_languages() -> None:
    evidence = _public_evidence()
    assert {e.key for e in evidence} == {
        "aws.bpa.account",
        "aws.bpa.all",
        "aws.bpa.flag",
        "aws.policy",
        "aws.object-ownership",
        "aws.acl-grant",
        "aws.acls-disabled",
    }
    # an ACL grant's permission and an ownership setting are S3's own codes
    assert unworded(evidence, coded_values={"aws.acl-grant", "aws.object-ownership"}) == []


def test_every_encryption_detail_is_worded_in_both_languages() -> None:
    details = _details()
    assert {d.key for d in details} == {
        "aws.sse-s3-default",
        "aws.sse-s3",
        "aws.sse-fsx",
        "aws.backup",
        "aws.sse-unknown",
        "aws.sse-kms",
        "aws.dsse-kms",
        "aws.kms-origin",
        "aws.kms-multi-region",
    }
    assert unworded(details, kind="encryption_detail") == []


@pytest.mark.parametrize(
    ("item", "ja", "en"),
    [
        (
            ACCOUNT_BLOCK_EVIDENCE[0],
            "アカウントのパブリックアクセスブロック: 4 項目すべて有効",
            "account Block Public Access: all four settings on",
        ),
        (
            Evidence(key="aws.acl-grant", subject="AllUsers", value="READ"),
            "ACL で AllUsers に READ を付与",
            "ACL grants READ to AllUsers",
        ),
        (
            Evidence(key="aws.bpa.all", value="off"),
            "パブリックアクセスブロックの 4 項目（アカウントとバケットの設定を合わせた結果）: "
            "すべて無効",
            "all four Block Public Access settings (account and bucket combined): off",
        ),
        (
            Evidence(key="aws.policy", value="none"),
            "バケットポリシー: なし",
            "bucket policy: none",
        ),
    ],
)
def test_public_access_facts_read_as_a_reader_says_them(item: Evidence, ja: str, en: str) -> None:
    assert plain(evidence_text(item, "ja"), "ja") == ja
    assert plain(evidence_text(item, "en"), "en") == en


def test_a_customer_key_detail_names_the_key_kind_origin_and_replicas() -> None:
    enc, _, _ = nz.encryption(_sse("aws:kms", KEY), CUSTOMER_KEY, "eu-west-1")
    assert [plain(detail_text(d, "ja"), "ja") for d in enc.details] == [
        "AWS KMS キーによるサーバー側暗号化（SSE-KMS）: カスタマーマネージドキー",
        "キーマテリアルのオリジン: インポートしたキーマテリアル（EXTERNAL）",
        "マルチリージョンキー",
    ]

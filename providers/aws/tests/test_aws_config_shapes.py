"""config_shapes: AWS Config's S3 items into the S3 answers normalize reads (pure).

The item below is shaped as BatchGetAggregateResourceConfig returns one: ``configuration`` and
each ``supplementaryConfiguration`` value a JSON string (``AccessControlList`` encoded twice),
the fields as the AWS Config resource schema names them (awslabs/aws-config-resource-schema,
``AWS::S3::Bucket.properties.json``), replication rules keyed by rule id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from residency_audit.model import EncryptionTier, PublicVerdict, Role
from residency_audit_aws import normalize as nz
from residency_audit_aws.config_shapes import item_from_config
from residency_audit_aws.public import public_access

KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/mrk-1234abcd"
ITEM = {
    "version": "1.3",
    "accountId": "123456789012",
    "configurationItemCaptureTime": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    "resourceType": "AWS::S3::Bucket",
    "resourceId": "jp-contracts",
    "resourceName": "jp-contracts",
    "awsRegion": "ap-northeast-1",
    "configuration": json.dumps({"name": "jp-contracts", "creationDate": "2024-01-01T00:00:00Z"}),
    "supplementaryConfiguration": {
        "AccessControlList": json.dumps(
            json.dumps(
                {
                    "grantSet": None,
                    "owner": {"displayName": None, "id": "owner-id"},
                    "grantList": [
                        {
                            "grantee": {"id": "owner-id", "displayName": None},
                            "permission": "FullControl",
                        },
                        {"grantee": "AllUsers", "permission": "Read"},
                    ],
                }
            )
        ),
        "ServerSideEncryptionConfiguration": json.dumps(
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyID": KEY,
                        },
                        "bucketKeyEnabled": True,
                    }
                ]
            }
        ),
        "BucketReplicationConfiguration": json.dumps(
            {
                "roleARN": "arn:aws:iam::123456789012:role/replication",
                "rules": {
                    "to-singapore": {
                        "destinationConfig": {
                            "bucketARN": "arn:aws:s3:::jp-contracts-sg",
                            "storageClass": "STANDARD_IA",
                        },
                        "prefix": "",
                        "status": "Enabled",
                    }
                },
            }
        ),
        "PublicAccessBlockConfiguration": json.dumps(
            {
                "blockPublicAcls": False,
                "ignorePublicAcls": False,
                "blockPublicPolicy": True,
                "restrictPublicBuckets": True,
            }
        ),
        "BucketPolicy": json.dumps({"policyText": None}),
        "BucketTaggingConfiguration": json.dumps(
            {"tagSets": [{"tags": {"data-classification": "sensitive"}}]}
        ),
        "IsRequesterPaysEnabled": "false",
    },
}


def test_a_recorded_item_answers_the_s3_reads_as_s3_would() -> None:
    item = item_from_config(ITEM)
    assert (item.account, item.region, item.name) == (
        "123456789012",
        "ap-northeast-1",
        "jp-contracts",
    )
    assert item.captured == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    encryption = item.served("GetBucketEncryption").response
    assert encryption is not None
    assert nz.encryption_rule(encryption) == ("aws:kms", KEY)
    enc, _, gaps = nz.encryption(
        encryption, {"KeyMetadata": {"Arn": KEY, "KeyManager": "CUSTOMER"}}, "ap-northeast-1"
    )
    assert enc.tier is EncryptionTier.CUSTOMER_MANAGED and not gaps

    replication = item.served("GetBucketReplication").response
    assert replication is not None
    assert nz.destination_bucket_names(replication) == ["jp-contracts-sg"]
    copies, _ = nz.replication(
        replication, {"jp-contracts-sg": nz.DestinationRegion("ap-southeast-1")}
    )
    assert [(c.role, c.region) for c in copies] == [(Role.REPLICA, "ap-southeast-1")]

    assert item.served("GetBucketTagging").response == {
        "TagSet": [{"Key": "data-classification", "Value": "sensitive"}]
    }
    # no policy, recorded as such: the answer S3 gives a bucket without one
    assert item.served("GetBucketPolicy").error == "NoSuchBucketPolicy"
    # the ACL's AllUsers grant, not blocked, makes the bucket public
    acl = item.served("GetBucketAcl").response
    block = item.served("GetPublicAccessBlock").response
    assert acl is not None and block is not None
    public, _ = public_access(
        nz.Failure("NoSuchPublicAccessBlockConfiguration"),
        block,
        nz.Failure("NoSuchBucketPolicy"),
        acl,
        {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}},
    )
    assert public.verdict is PublicVerdict.PUBLIC


def test_what_config_does_not_hold_is_missing_with_its_reason() -> None:
    item = item_from_config(
        {**ITEM, "supplementaryConfiguration": {"IsRequesterPaysEnabled": "false"}}
    )
    assert item.served("GetBucketReplication").missing == "absent"
    assert item.served("GetBucketEncryption").missing == "absent"
    assert item.served("GetBucketOwnershipControls").missing == "not-recorded"
    assert item.served("GetBucketPolicyStatus").missing == "not-recorded"
    # a grantee the translation does not know is read live, not guessed
    odd = {"grantList": [{"grantee": "SomeNewGroup", "permission": "Read"}], "owner": {"id": "o"}}
    strange = item_from_config(
        {**ITEM, "supplementaryConfiguration": {"AccessControlList": json.dumps(odd)}}
    )
    assert strange.served("GetBucketAcl").missing == "absent"


def test_a_deleted_buckets_item_says_so() -> None:
    assert not item_from_config(ITEM).deleted
    assert item_from_config({**ITEM, "configurationItemStatus": "ResourceDeleted"}).deleted
    assert item_from_config(
        {**ITEM, "configurationItemStatus": "ResourceDeletedNotRecorded"}
    ).deleted


def test_an_accounts_own_source_covers_it_before_the_organizations() -> None:
    from datetime import timedelta

    from residency_audit_aws.config_shapes import covering, source_status, vouched_as_of

    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    entries = [  # AggregatedSourceStatus entries (botocore's service model, AWS API reference)
        {"SourceId": "o-a1b2c3d4e5", "SourceType": "ORGANIZATION", "AwsRegion": "ap-northeast-1",
         "LastUpdateStatus": "SUCCEEDED", "LastUpdateTime": now},
        {"SourceId": "111122223333", "SourceType": "ACCOUNT", "AwsRegion": "ap-northeast-1",
         "LastUpdateStatus": "FAILED", "LastUpdateTime": now, "LastErrorCode": "Denied"},
    ]  # fmt: skip
    statuses = [source_status(e) for e in entries]
    own = covering(statuses, "111122223333", "ap-northeast-1")
    assert own is not None and own.status == "FAILED" and "Denied" in own.describe()
    other = covering(statuses, "444455556666", "ap-northeast-1")
    assert other is not None and other.source_type == "ORGANIZATION"
    assert covering(statuses, "444455556666", "eu-west-1") is None
    month_ago = now - timedelta(days=30)
    assert vouched_as_of(month_ago, other) == now
    assert vouched_as_of(month_ago, own) == month_ago  # a failed source vouches for nothing
    later = now + timedelta(minutes=5)  # a change recorded after the last aggregation
    assert vouched_as_of(later, other) == later
    assert vouched_as_of(None, other) is None  # no capture time stays unknown (stale)

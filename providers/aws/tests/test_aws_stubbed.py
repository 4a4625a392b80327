"""Parsers for what moto gets wrong or lacks, driven through botocore's Stubber.

Why Stubber and not moto here: moto raises NotImplementedError for Backup selections, reports every
Multi-Region Access Point member in us-east-1, rewrites replication rule filters, returns no
ListBuckets continuation token and never sends BucketRegion. Stubber feeds our real client code the
responses real AWS sends, and validates both our request parameters and those responses against
botocore's service model, so a misspelt field fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from residency_audit.model import Certainty, Role
from residency_audit_aws import normalize as nz
from residency_audit_aws.backup import backup_for_bucket
from residency_audit_aws.client import AwsAccount
from residency_audit_aws.collector import AccountScan, ScanContext
from residency_audit_aws.settings import parse_settings

ACCOUNT = "111122223333"


@pytest.fixture
def account(aws_env: None) -> AwsAccount:
    settings = parse_settings({"max_attempts": 1})
    session = boto3.Session(region_name="us-east-1")
    return AwsAccount(session, settings.partitions[0], settings, account_id=ACCOUNT)


@pytest.fixture
def scan(account: AwsAccount) -> AccountScan:
    return AccountScan(account, ScanContext(ACCOUNT, "aws", frozenset({ACCOUNT}), 2))


@pytest.fixture
def stub(account: AwsAccount) -> Iterator[Any]:
    stubbers: list[Stubber] = []

    def make(service: str, region: str) -> Stubber:
        stubber = Stubber(account.client(service, region))
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


PLAN_ID = "8a6d3c1e-0000-4000-8000-000000000001"
SEL_ALL, SEL_TAGGED = "sel-all-buckets", "sel-tagged"
HK_VAULT = "arn:aws:backup:ap-east-1:111122223333:backup-vault:hk-vault"
EU_VAULT = "arn:aws:backup:eu-west-1:444455556666:backup-vault:central"


def one_plan(backup: Stubber, name: str, rule: dict[str, Any]) -> None:
    """The region lists one backup plan (PLAN_ID) with this single rule."""
    backup.add_response(
        "list_backup_plans",
        {"BackupPlansList": [{"BackupPlanId": PLAN_ID, "BackupPlanName": name}]},
        {},
    )
    backup.add_response(
        "get_backup_plan",
        {"BackupPlanId": PLAN_ID, "BackupPlan": {"BackupPlanName": name, "Rules": [rule]}},
        {"BackupPlanId": PLAN_ID},
    )


def test_backup_selections_and_copy_actions_become_backup_locations(
    scan: AccountScan, stub: Any
) -> None:
    backup = stub("backup", "ap-northeast-1")
    one_plan(
        backup,
        "nightly",
        {
            "RuleName": "nightly",
            "TargetBackupVaultName": "tokyo-vault",
            "CopyActions": [
                {"DestinationBackupVaultArn": HK_VAULT},
                {"DestinationBackupVaultArn": EU_VAULT},
            ],
        },
    )
    backup.add_response(
        "list_backup_selections",
        {
            "BackupSelectionsList": [
                {"SelectionId": SEL_ALL, "BackupPlanId": PLAN_ID},
                {"SelectionId": SEL_TAGGED, "BackupPlanId": PLAN_ID},
            ]
        },
        {"BackupPlanId": PLAN_ID},
    )
    role = "arn:aws:iam::111122223333:role/backup"
    backup.add_response(
        "get_backup_selection",
        {
            "BackupSelection": {
                "SelectionName": "all-but-scratch",
                "IamRoleArn": role,
                "Resources": ["arn:aws:s3:::*"],
                "NotResources": ["arn:aws:s3:::scratch-*"],
            }
        },
        {"BackupPlanId": PLAN_ID, "SelectionId": SEL_ALL},
    )
    backup.add_response(
        "get_backup_selection",
        {
            "BackupSelection": {
                "SelectionName": "ledger",
                "IamRoleArn": role,
                "Resources": ["arn:aws:s3:::jp-ledger"],
                "Conditions": {
                    "StringEquals": [
                        {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"}
                    ]
                },
            }
        },
        {"BackupPlanId": PLAN_ID, "SelectionId": SEL_TAGGED},
    )

    region = scan._region_backup("ap-northeast-1")

    ledger, gaps = backup_for_bucket(
        "arn:aws:s3:::jp-ledger", {"backup": "yes"}, region, "aws", "ap-northeast-1"
    )
    assert gaps == []
    assert [(loc.mechanism, loc.region, loc.certainty) for loc in ledger] == [
        ("aws-backup", "ap-northeast-1", Certainty.CONFIRMED),
        ("aws-backup-copy", "ap-east-1", Certainty.CONFIRMED),
        ("aws-backup-copy", "eu-west-1", Certainty.CONFIRMED),
    ]
    assert "444455556666" in (ledger[2].target or "")
    # matched only by the wildcard selection: the same vaults, but POSSIBLE (opt-in dependent)
    wildcard, _ = backup_for_bucket("arn:aws:s3:::jp-orders", {}, region, "aws", "ap-northeast-1")
    assert {loc.certainty for loc in wildcard} == {Certainty.POSSIBLE}
    excluded, gaps = backup_for_bucket(
        "arn:aws:s3:::scratch-1", {}, region, "aws", "ap-northeast-1"
    )
    assert (excluded, gaps) == ([], [])


def test_backup_selections_that_cannot_be_read_are_a_gap(scan: AccountScan, stub: Any) -> None:
    backup = stub("backup", "eu-west-1")
    one_plan(backup, "weekly", {"RuleName": "w", "TargetBackupVaultName": "v"})
    backup.add_client_error("list_backup_selections", "AccessDeniedException", http_status_code=403)

    region = scan._region_backup("eu-west-1")
    locations, gaps = backup_for_bucket("arn:aws:s3:::eu-hr", {}, region, "aws", "eu-west-1")

    assert locations == []
    assert [(g.field, g.error_code, g.may_hide_copy) for g in gaps] == [
        ("backup", "AccessDeniedException", True)
    ]


def test_multi_region_access_point_member_regions(scan: AccountScan, stub: Any) -> None:
    s3control = stub("s3control", "us-west-2")
    s3control.add_response(
        "list_multi_region_access_points",
        {
            "AccessPoints": [
                {
                    "Name": "catalog",
                    "Alias": "mfzwi23gnjvgw.mrap",
                    "CreatedAt": datetime(2024, 1, 1, tzinfo=UTC),
                    "Status": "READY",
                    "Regions": [
                        {
                            "Bucket": "catalog-tokyo",
                            "Region": "ap-northeast-1",
                            "BucketAccountId": ACCOUNT,
                        },
                        {
                            "Bucket": "catalog-hk",
                            "Region": "ap-east-1",
                            "BucketAccountId": "444455556666",
                        },
                    ],
                }
            ]
        },
        {"AccountId": ACCOUNT},
    )
    stub("s3control", "us-east-1").add_client_error(
        "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", http_status_code=404
    )

    scan._read_account_level()
    locations = nz.mrap_locations("catalog-tokyo", scan._mraps["catalog-tokyo"])

    assert [(loc.role, loc.region, loc.target) for loc in locations] == [
        (Role.MULTI_REGION_MEMBER, "ap-east-1", "catalog: catalog-hk (account 444455556666)")
    ]


def test_replication_rule_filters_do_not_hide_destinations(scan: AccountScan, stub: Any) -> None:
    s3 = stub("s3", "ap-northeast-1")
    s3.add_response(
        "get_bucket_replication",
        {
            "ReplicationConfiguration": {
                "Role": "arn:aws:iam::111122223333:role/replication",
                "Rules": [
                    {
                        "ID": "pii-only",
                        "Priority": 1,
                        "Status": "Enabled",
                        "Filter": {
                            "And": {"Prefix": "pii/", "Tags": [{"Key": "class", "Value": "pii"}]}
                        },
                        "SourceSelectionCriteria": {
                            "SseKmsEncryptedObjects": {"Status": "Enabled"}
                        },
                        "DeleteMarkerReplication": {"Status": "Disabled"},
                        "Destination": {
                            "Bucket": "arn:aws:s3:::pii-hk",
                            "Account": "444455556666",
                            "EncryptionConfiguration": {
                                "ReplicaKmsKeyID": "arn:aws:kms:ap-east-1:444455556666:key/k1"
                            },
                        },
                    }
                ],
            }
        },
        {"Bucket": "jp-pii"},
    )

    response = scan.account.call("s3", "ap-northeast-1", "GetBucketReplication", Bucket="jp-pii")
    locations = nz.replication_locations(response, {"pii-hk": nz.DestinationRegion("ap-east-1")})

    assert [(loc.role, loc.region) for loc in locations] == [
        (Role.REPLICA, "ap-east-1"),
        (Role.KEY, "ap-east-1"),
    ]


def test_list_buckets_follows_continuation_tokens_and_uses_bucket_region(
    scan: AccountScan, stub: Any
) -> None:
    s3 = stub("s3", "us-east-1")
    created = datetime(2024, 1, 1, tzinfo=UTC)
    s3.add_response(
        "list_buckets",
        {
            "Buckets": [{"Name": "a-1", "CreationDate": created, "BucketRegion": "ap-northeast-1"}],
            "ContinuationToken": "page-2",
        },
        {"MaxBuckets": 10_000},
    )
    s3.add_response(
        "list_buckets",
        {"Buckets": [{"Name": "b-2", "CreationDate": created, "BucketRegion": "ap-east-1"}]},
        {"MaxBuckets": 10_000, "ContinuationToken": "page-2"},
    )

    listed = list(scan._listing())

    assert [(b["Name"], b["BucketRegion"]) for b in listed] == [
        ("a-1", "ap-northeast-1"),
        ("b-2", "ap-east-1"),
    ]


def test_head_bucket_403_still_yields_the_region_header(scan: AccountScan, stub: Any) -> None:
    s3 = stub("s3", "us-east-1")
    s3.add_client_error(
        "get_bucket_location",
        "AccessDenied",
        http_status_code=403,
        expected_params={"Bucket": "partner-logs"},
    )
    s3.add_client_error(
        "head_bucket",
        "403",
        "Forbidden",
        http_status_code=403,
        response_meta={"HTTPHeaders": {"x-amz-bucket-region": "ap-east-1"}},
        expected_params={"Bucket": "partner-logs"},
    )

    assert scan._destination("partner-logs") == nz.DestinationRegion("ap-east-1")

"""Pure translation of API-shaped JSON into the model: regions, encryption tiers, replicas,
public-access verdicts, external principals, backup selection matching."""

from __future__ import annotations

import json

import pytest

from residency_audit.model import Certainty, EncryptionTier, Evidence, Hidden, PublicVerdict, Role
from residency_audit_aws import normalize as nz
from residency_audit_aws.backup import Match, selection_matches
from residency_audit_aws.normalize import DestinationRegion, Failure
from residency_audit_aws.public import external_principals, public_access


@pytest.mark.parametrize(
    ("constraint", "region"),
    [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"), ("ap-east-1", "ap-east-1")],
)
def test_primary_region_follows_s3_legacy_values(constraint: str | None, region: str) -> None:
    assert nz.primary_region(constraint) == region


def _sse(algorithm: str, key: str | None = None) -> dict[str, object]:
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key:
        default["KMSMasterKeyID"] = key
    return {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": default}]
        }
    }


KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_sse_s3_is_provider_managed_without_key_location() -> None:
    enc, locations, gaps = nz.encryption(_sse("AES256"), None, "ap-northeast-1")
    assert (enc.tier, enc.details, locations, gaps) == (
        EncryptionTier.PROVIDER_MANAGED,
        (Evidence(key="aws.sse-s3"),),
        [],
        [],
    )


def test_customer_key_in_another_region_gives_key_location_there() -> None:
    key = {"KeyMetadata": {"Arn": KEY, "KeyManager": "CUSTOMER", "MultiRegion": False}}
    enc, locations, gaps = nz.encryption(_sse("aws:kms", KEY), key, "ap-northeast-1")
    assert enc.tier is EncryptionTier.CUSTOMER_MANAGED
    assert [(loc.role, loc.region) for loc in locations] == [(Role.KEY, "eu-west-1")]
    assert gaps == []


def test_aws_managed_key_named_explicitly_is_provider_managed() -> None:
    key = {"KeyMetadata": {"Arn": KEY, "KeyManager": "AWS"}}
    enc, _, _ = nz.encryption(_sse("aws:kms:dsse", KEY), key, "eu-west-1")
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED
    assert enc.details == (Evidence(key="aws.dsse-kms", value="aws-managed"),)


def test_multi_region_key_lists_every_replica_region() -> None:
    mrk = "arn:aws:kms:ap-northeast-1:111122223333:key/mrk-1"
    key = {
        "KeyMetadata": {
            "Arn": mrk,
            "KeyManager": "CUSTOMER",
            "MultiRegion": True,
            "MultiRegionConfiguration": {
                "MultiRegionKeyType": "PRIMARY",
                "PrimaryKey": {"Arn": mrk, "Region": "ap-northeast-1"},
                "ReplicaKeys": [
                    {"Arn": mrk.replace("ap-northeast-1", "ap-east-1"), "Region": "ap-east-1"},
                    {"Arn": mrk.replace("ap-northeast-1", "eu-west-1"), "Region": "eu-west-1"},
                ],
            },
        }
    }
    _, locations, _ = nz.encryption(_sse("aws:kms", mrk), key, "ap-northeast-1")
    assert sorted(loc.region or "" for loc in locations) == [
        "ap-east-1",
        "ap-northeast-1",
        "eu-west-1",
    ]


def test_unreadable_key_is_unknown_tier_with_gap_but_keeps_arn_region() -> None:
    enc, locations, gaps = nz.encryption(
        _sse("aws:kms", KEY), Failure("AccessDeniedException"), "ap-northeast-1"
    )
    assert enc.tier is EncryptionTier.UNKNOWN
    assert [loc.region for loc in locations] == ["eu-west-1"]
    assert gaps[0].field == "encryption.key" and gaps[0].error_code == "AccessDeniedException"
    assert gaps[0].may_hide_copy


def test_default_aws_managed_key_lives_in_bucket_region() -> None:
    enc, locations, _ = nz.encryption(_sse("aws:kms"), None, "ap-east-1")
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED
    assert [(loc.region, loc.derived) for loc in locations] == [("ap-east-1", True)]


def test_unreadable_encryption_is_unknown_never_none() -> None:
    enc, _, gaps = nz.encryption(Failure("AccessDenied"), None, "us-east-1")
    assert enc.tier is EncryptionTier.UNKNOWN
    assert gaps[0].error_code == "AccessDenied"


@pytest.mark.parametrize(
    "response",
    [
        Failure("ServerSideEncryptionConfigurationNotFoundError"),
        # a configuration whose rule has no default (BucketKeyEnabled only)
        {"ServerSideEncryptionConfiguration": {"Rules": [{"BucketKeyEnabled": True}]}},
    ],
)
def test_no_default_encryption_is_sse_s3_for_new_objects_not_none(
    response: nz.Read,
) -> None:
    enc, locations, gaps = nz.encryption(response, None, "ap-northeast-1")
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED
    assert enc.details == nz.SSE_S3_BY_DEFAULT == (Evidence(key="aws.sse-s3-default"),)
    assert (locations, gaps) == ([], [])


@pytest.mark.parametrize(
    ("algorithm", "detail_key"), [("aws:fsx", "aws.sse-fsx"), ("aws:backup", "aws.backup")]
)
def test_service_encryption_is_named_with_no_invented_key_location(
    algorithm: str, detail_key: str
) -> None:
    enc, locations, gaps = nz.encryption(_sse(algorithm), None, "eu-west-1")
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED
    [detail] = enc.details  # named as the service, not reported as SSE-KMS
    assert (detail.key, detail.subject) == (detail_key, algorithm)
    assert locations == []  # no aws/s3 key made up in the bucket's region
    [gap] = gaps
    assert gap.hides == (Hidden.KEY,) and "does not say where" in gap.reason


def test_service_encryption_key_named_by_arn_is_a_key_location() -> None:
    _, locations, gaps = nz.encryption(_sse("aws:fsx", KEY), None, "ap-northeast-1")
    assert [(loc.role, loc.region, loc.target) for loc in locations] == [
        (Role.KEY, "eu-west-1", KEY)
    ]
    assert gaps == []


def test_unknown_algorithm_is_unknown_with_a_gap_naming_it() -> None:
    enc, locations, gaps = nz.encryption(_sse("aws:quantum"), None, "eu-west-1")
    assert enc.tier is EncryptionTier.UNKNOWN
    assert locations == []
    [gap] = gaps
    assert gap.hides == (Hidden.KEY,) and "aws:quantum" in gap.reason


def test_replication_rules_become_replicas_with_region_or_reason() -> None:
    config = {
        "ReplicationConfiguration": {
            "Role": "r",
            "Rules": [
                {
                    "Status": "Enabled",
                    "Destination": {
                        "Bucket": "arn:aws:s3:::hk",
                        "Account": "222233334444",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": KEY},
                    },
                },
                {"Status": "Disabled", "Destination": {"Bucket": "arn:aws:s3:::gone"}},
            ],
        }
    }
    assert nz.destination_bucket_names(config) == ["hk", "gone"]
    regions = {"hk": DestinationRegion("ap-east-1"), "gone": DestinationRegion(None, "missing")}
    locations = nz.replication_locations(config, regions)
    replicas = [loc for loc in locations if loc.role is Role.REPLICA]
    assert [(r.region, r.certainty, r.unknown_reason) for r in replicas] == [
        ("ap-east-1", Certainty.CONFIRMED, None),
        (None, Certainty.POSSIBLE, "missing"),
    ]
    assert replicas[0].target == "arn:aws:s3:::hk (account 222233334444)"
    assert [(loc.role, loc.region) for loc in locations if loc.role is Role.KEY] == [
        (Role.KEY, "eu-west-1")
    ]


BLOCK_ALL = {
    "PublicAccessBlockConfiguration": dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
}
NO_BLOCK = Failure("NoSuchPublicAccessBlockConfiguration")
NO_POLICY = Failure("NoSuchBucketPolicy")
PRIVATE_ACL = {
    "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "x"}, "Permission": "FULL_CONTROL"}]
}
PUBLIC_ACL = {
    "Grants": [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ",
        }
    ]
}
NO_OWNERSHIP = Failure("OwnershipControlsNotFoundError")


def test_public_acl_without_blocks_is_public_with_evidence() -> None:
    verdict, gaps = public_access(NO_BLOCK, NO_BLOCK, NO_POLICY, PUBLIC_ACL, NO_OWNERSHIP)
    assert verdict.verdict is PublicVerdict.PUBLIC
    assert Evidence(key="aws.acl-grant", subject="AllUsers", value="READ") in verdict.evidence
    assert gaps == []


def test_account_level_block_neutralises_public_acl_and_policy() -> None:
    public_policy = {"PolicyStatus": {"IsPublic": True}}
    verdict, _ = public_access(BLOCK_ALL, NO_BLOCK, public_policy, PUBLIC_ACL, NO_OWNERSHIP)
    assert verdict.verdict is PublicVerdict.BLOCKED


def test_bucket_owner_enforced_disables_public_acl() -> None:
    enforced = {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
    verdict, _ = public_access(NO_BLOCK, NO_BLOCK, NO_POLICY, PUBLIC_ACL, enforced)
    assert verdict.verdict is PublicVerdict.NOT_BLOCKED


def test_unreadable_policy_status_makes_verdict_unknown_unless_fully_blocked() -> None:
    denied = Failure("AccessDenied")
    verdict, gaps = public_access(NO_BLOCK, NO_BLOCK, denied, PRIVATE_ACL, NO_OWNERSHIP)
    assert verdict.verdict is PublicVerdict.UNKNOWN
    assert [g.field for g in gaps] == ["public_access.policy_status"]
    blocked, _ = public_access(NO_BLOCK, BLOCK_ALL, denied, PRIVATE_ACL, NO_OWNERSHIP)
    assert blocked.verdict is PublicVerdict.BLOCKED


def test_external_principals_skip_org_accounts_and_org_conditions() -> None:
    policy = {
        "Policy": json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                        "Action": "s3:GetObject",
                        "Resource": "*",
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["111122223333", "arn:aws:iam::555566667777:role/x"]},
                        "Action": "s3:GetObject",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "111122223333"},
                        "Action": "s3:*",
                        "Resource": "*",
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                        "Action": "s3:*",
                        "Resource": "*",
                    },
                ]
            }
        )
    }
    principals, gap = external_principals(policy, {"111122223333"})
    assert principals == ("arn:aws:iam::999988887777:root",)
    assert gap is None


TOKYO = "arn:aws:s3:::tokyo-data"


def _like(key: str, value: str) -> dict[str, object]:
    return {
        "Resources": ["*"],
        "Conditions": {
            "StringLike": [{"ConditionKey": f"aws:ResourceTag/{key}", "ConditionValue": value}]
        },
    }


@pytest.mark.parametrize(
    ("selection", "tags", "expected"),
    [
        ({"Resources": [TOKYO]}, {}, Match.BY_ARN),
        ({"Resources": ["arn:aws:s3:::*"]}, {}, Match.BY_PATTERN),
        ({"Resources": ["*"], "NotResources": ["arn:aws:s3:::tokyo-*"]}, {}, Match.NO),
        ({"Resources": ["arn:aws:ec2:*:*:volume/*"]}, {}, Match.NO),
        ({}, {}, Match.BY_PATTERN),  # nothing specified: every supported resource
        (
            {
                "ListOfTags": [
                    {
                        "ConditionType": "STRINGEQUALS",
                        "ConditionKey": "backup",
                        "ConditionValue": "daily",
                    }
                ]
            },
            {"backup": "daily"},
            Match.BY_PATTERN,
        ),
        (
            {
                "ListOfTags": [
                    {
                        "ConditionType": "STRINGEQUALS",
                        "ConditionKey": "backup",
                        "ConditionValue": "daily",
                    }
                ]
            },
            {"backup": "weekly"},
            Match.NO,
        ),
        (
            {
                "Resources": ["*"],
                "Conditions": {
                    "StringLike": [
                        {"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod*"}
                    ]
                },
            },
            {"env": "production"},
            Match.BY_PATTERN,
        ),
        (
            {
                "Resources": ["*"],
                "Conditions": {
                    "StringNotEquals": [
                        {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "off"}
                    ]
                },
            },
            {},
            Match.BY_PATTERN,
        ),  # a missing tag satisfies a negated condition
        (
            {
                "Resources": ["*"],
                "Conditions": {
                    "StringEquals": [
                        {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"}
                    ]
                },
            },
            None,
            Match.UNKNOWN,
        ),  # tags unreadable
        (
            {
                "Resources": ["*"],
                "Conditions": {
                    "ArnLike": [{"ConditionKey": "aws:ResourceTag/x", "ConditionValue": "y"}]
                },
            },
            {"x": "y"},
            Match.UNKNOWN,
        ),  # an operator we do not evaluate may match: unknown, never "not covered"
        # IAM's StringLike: ``?`` is one character, ``*`` any run; ``[`` is a plain character
        (_like("env", "pro?"), {"env": "prod"}, Match.BY_PATTERN),
        (_like("env", "pro?"), {"env": "production"}, Match.NO),
        (_like("team", "[a]*"), {"team": "[a]-design"}, Match.BY_PATTERN),
        (_like("team", "[a]*"), {"team": "a-design"}, Match.NO),
    ],
)
def test_backup_selection_matching(
    selection: dict[str, object], tags: dict[str, str] | None, expected: Match
) -> None:
    assert selection_matches(selection, TOKYO, tags) is expected


def test_an_html_error_page_becomes_its_text_in_gaps_and_reports() -> None:
    from residency_audit_aws.client import AwsApiError

    page = (
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
        "<h1>Internal Server Error</h1>\n<p>The server could not complete your request.</p>"
    )
    error = AwsApiError("backup", "ListBackupSelections", "500", page, status=500)
    assert error.message == "Internal Server Error The server could not complete your request."
    assert "<" not in str(error)


def test_an_unevaluable_selection_is_a_backup_gap_not_no_backup() -> None:
    from residency_audit_aws.backup import BackupPlan, RegionBackup, backup_for_bucket

    plan = BackupPlan(
        plan_id="p",
        name="nightly",
        region="ap-northeast-1",
        account="111122223333",
        plan={"Rules": [{"TargetBackupVaultName": "v", "CopyActions": []}]},
        selections=(
            {
                "ListOfTags": [
                    {"ConditionType": "STRINGLIKE", "ConditionKey": "a", "ConditionValue": "b"}
                ]
            },
        ),
    )
    region = RegionBackup(region="ap-northeast-1", plans=(plan,))
    locations, gaps = backup_for_bucket(TOKYO, {"a": "b"}, region, "aws", "ap-northeast-1")
    assert locations == []
    assert [(g.field, g.may_hide_copy) for g in gaps] == [("backup", True)]
    assert "cannot evaluate" in gaps[0].reason

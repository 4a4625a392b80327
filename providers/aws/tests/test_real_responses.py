"""Real AWS responses (Cloud Custodian's recordings and LocalStack's snapshots of real AWS,
``data/real/``) through the plugin's pure functions, with what a compliance officer reads off
each: the locations, their countries in the shipped catalog, the encryption tier, the
public-access verdict and the gaps.

Custodian recorded these in us-east-1 (its key ARNs say so); a replication response names the
destination bucket but not its region, which the collector asks GetBucketLocation for (covered on
moto in ``test_aws_moto.py``) -- here, with only the recorded response, the destination's region
and country stay unknown, with the reason. LocalStack's snapshots replace the region with a
placeholder, so a test gives the bucket's region itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from residency_audit.catalog import load_catalog
from residency_audit.model import (
    Certainty,
    EncryptionTier,
    Evidence,
    Hidden,
    Location,
    PublicVerdict,
    Role,
)
from residency_audit_aws import normalize as nz
from residency_audit_aws.normalize import Failure, Read
from residency_audit_aws.public import account_fully_blocked, public_access

DATA = Path(__file__).parent / "data" / "real"
BUCKET_REGION = "us-east-1"
CATALOG = load_catalog()
SSE_S3 = (Evidence(key="aws.sse-s3"),)


def _read(name: str) -> Read:
    """A recorded file as the collector would hold it: the parsed answer, or the API error.

    A placebo file holds it under ``data``; a LocalStack snapshot under its test's
    ``recorded-content``, keyed by the snapshot key the file is named after.
    """
    raw = json.loads((DATA / name).read_text("utf-8"))
    if name.endswith(".snapshot.json"):
        [entry] = raw.values()
        data: dict[str, Any] = dict(entry["recorded-content"][name.split(".")[1]])
    else:
        data = raw["data"]
    if "Error" in data:
        return Failure(str(data["Error"]["Code"]), str(data["Error"].get("Message", "")))
    data.pop("ResponseMetadata", None)
    return data


def _countries(location: Location) -> tuple[str, ...]:
    return CATALOG.resolve(location).countries


# --- replication -----------------------------------------------------------------------------


def _replicas(name: str) -> tuple[list[Location], list[Any]]:
    locations, gaps = nz.replication(_read(name), {})
    assert all(loc.role is Role.REPLICA for loc in locations)
    return locations, gaps


@pytest.mark.parametrize(
    ("name", "destination"),
    [
        # V2 rule, Filter And {Prefix abc, Tags Owner=c7n}: the filter narrows what, not where
        (
            "test_s3_bucket_replication_filter.s3.GetBucketReplication_1.json",
            "custodian-replication-west",
        ),
        # V2 rule, Filter {Prefix test}
        (
            "test_s3_bucket_replication_no_bucket.s3.GetBucketReplication_1.json",
            "c1-replication-west",
        ),
        # V1 rule: top-level Prefix "" (every object), no Filter, no Priority
        (
            "test_s3_delete_replicated_bucket.s3.GetBucketReplication_2.json",
            "custodian-replicated-west",
        ),
        # enabled rule with an empty Filter, before Custodian disabled it
        ("test_s3_replication_policy_disable.s3.GetBucketReplication_1.json", "repela3"),
    ],
)
def test_an_enabled_rule_is_a_confirmed_replica_whose_country_waits_for_its_region(
    name: str, destination: str
) -> None:
    [replica], gaps = _replicas(name)
    assert (replica.target, replica.certainty, replica.mechanism) == (
        f"arn:aws:s3:::{destination}",
        Certainty.CONFIRMED,
        "s3-replication",
    )
    # the response does not say where the destination is: unknown, never assumed to be home
    assert replica.region is None and replica.unknown_reason
    assert _countries(replica) == ()
    assert gaps == []


def test_a_disabled_rule_is_a_possible_replica_copies_made_before_remain() -> None:
    [replica], gaps = _replicas("test_s3_replication_policy_disable.s3.GetBucketReplication_3.json")
    assert replica.target == "arn:aws:s3:::repela3"
    assert replica.certainty is Certainty.POSSIBLE
    assert replica.mechanism == "s3-replication (rule disabled)"
    assert gaps == []


def test_no_replication_configuration_is_no_copy_and_hides_nothing() -> None:
    name = "test_s3_bucket_no_replication_rule.s3.GetBucketReplication_2.json"
    assert nz.replication(_read(name), {}) == ([], [])


# --- encryption ------------------------------------------------------------------------------


def _encryption(name: str, key: str | None = None) -> tuple[Any, list[Location], list[Any]]:
    return nz.encryption(_read(name), _read(key) if key else None, BUCKET_REGION)


def test_aes256_is_sse_s3_provider_managed_with_no_key_location() -> None:
    enc, keys, gaps = _encryption("test_s3_encryption_audit.s3.GetBucketEncryption_2.json")
    assert (enc.tier, enc.details, keys, gaps) == (EncryptionTier.PROVIDER_MANAGED, SSE_S3, [], [])


@pytest.mark.parametrize(
    "name",
    [
        # ServerSideEncryptionConfigurationNotFoundError
        "test_s3_bucket_encryption_filter_absent.s3.GetBucketEncryption_1.json",
        # a rule with BucketKeyEnabled and no ApplyServerSideEncryptionByDefault
        "test_s3_filter_bucket_encryption_disabled_malformed_statement.s3.GetBucketEncryption_1.json",
    ],
)
def test_no_default_rule_is_sse_s3_for_new_objects_with_the_2023_note(name: str) -> None:
    # the plugin read both as tier "none" until S3's 2023-01-05 change was taken into account
    enc, keys, gaps = _encryption(name)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED
    assert enc.details == nz.SSE_S3_BY_DEFAULT == (Evidence(key="aws.sse-s3-default"),)
    assert (keys, gaps) == ([], [])


def test_customer_managed_key_is_a_us_key_location() -> None:
    enc, keys, gaps = _encryption(
        "test_s3_enable_bucket_encryption_kms_alias.s3.GetBucketEncryption_1.json",
        "test_s3_enable_bucket_encryption_kms_alias.kms.DescribeKey_1.json",  # KeyManager CUSTOMER
    )
    arn = "arn:aws:kms:us-east-1:644160558196:key/5d8168d1-8e77-4495-97f5-0ef5f7b4753a"
    assert (enc.tier, enc.key_id) == (EncryptionTier.CUSTOMER_MANAGED, arn)
    assert [(k.role, k.region, k.target, k.derived) for k in keys] == [
        (Role.KEY, "us-east-1", arn, False)
    ]
    assert [_countries(k) for k in keys] == [("US",)] and gaps == []


def test_sse_kms_without_a_key_uses_aws_s3_in_the_bucket_region() -> None:
    enc, keys, gaps = _encryption(
        "test_s3_bucket_encryption_filter_kms.s3.GetBucketEncryption_3.json"
    )
    assert (enc.tier, enc.key_id) == (EncryptionTier.PROVIDER_MANAGED, "alias/aws/s3")
    assert [(k.region, k.target, k.derived) for k in keys] == [
        (BUCKET_REGION, "alias/aws/s3", True)
    ]
    assert [_countries(k) for k in keys] == [("US",)] and gaps == []


@pytest.mark.parametrize(
    "name",
    [
        # named by ARN
        "test_s3_bucket_encryption_filter_kms.s3.GetBucketEncryption_4.json",
        # named by bare key id: it resolves in the bucket's region, DescribeKey gives the ARN
        "test_s3_bucket_encryption_filter_kms.s3.GetBucketEncryption_5.json",
    ],
)
def test_the_aws_managed_key_named_explicitly_is_provider_managed(name: str) -> None:
    # DescribeKey: the account's aws/s3 key ("Default master key that protects my S3 objects"),
    # KeyManager AWS
    enc, keys, gaps = _encryption(
        name, "test_s3_bucket_encryption_filter_kms.kms.DescribeKey_1.json"
    )
    arn = "arn:aws:kms:us-east-1:644160558196:key/e1d7c355-8b0d-4adf-8a26-f9e88d17b5a6"
    assert (enc.tier, enc.key_id) == (EncryptionTier.PROVIDER_MANAGED, arn)
    assert [(k.region, k.target) for k in keys] == [("us-east-1", arn)]
    assert [_countries(k) for k in keys] == [("US",)] and gaps == []


# An S3 Bucket Key (BucketKeyEnabled) is a short-lived bucket-level key S3 gets from the KMS key to
# make fewer KMS calls: the KMS key, and so where the key material lives, stays the same. The
# flag concerns SSE-KMS only (ServerSideEncryptionRule.BucketKeyEnabled in the S3 API reference;
# "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys", S3 user guide bucket-key.html).


def test_bucket_key_on_sse_s3_is_still_sse_s3_with_no_key_location() -> None:
    enc, keys, gaps = _encryption(
        "test_s3_bucket_encryption_bucket_key.s3.GetBucketEncryption_2.json"
    )
    assert (enc.tier, enc.details, keys, gaps) == (EncryptionTier.PROVIDER_MANAGED, SSE_S3, [], [])


def test_bucket_key_on_an_aws_managed_key_of_another_service_keeps_that_keys_us_region() -> None:
    # the bucket's default key is the account's aws/sns key (DescribeKey: "Default master key that
    # protects my SNS data", KeyManager AWS): AWS-managed, in us-east-1
    enc, keys, gaps = _encryption(
        "test_s3_enable_bucket_encryption_kms.s3.GetBucketEncryption_2.json",
        "test_s3_enable_bucket_encryption_kms.kms.DescribeKey_1.json",
    )
    arn = "arn:aws:kms:us-east-1:644160558196:key/2192ecc0-3991-4dac-b479-cc08bda8a4de"
    assert (enc.tier, enc.key_id) == (EncryptionTier.PROVIDER_MANAGED, arn)
    assert [(k.role, k.region, k.target, k.derived) for k in keys] == [
        (Role.KEY, "us-east-1", arn, False)
    ]
    assert [_countries(k) for k in keys] == [("US",)] and gaps == []


def test_bucket_key_on_a_key_arn_without_describe_key_places_the_key_but_not_its_manager() -> None:
    # the ARN says where the key is; only DescribeKey says whose it is
    enc, keys, gaps = _encryption("test_s3_bucket_key_enabled.s3.GetBucketEncryption_2.json")
    arn = "arn:aws:kms:us-east-1:644160558196:key/845ab6f1-744c-4edc-b702-efae6836818a"
    assert (enc.tier, enc.key_id) == (EncryptionTier.UNKNOWN, arn)
    assert [(k.region, k.target) for k in keys] == [("us-east-1", arn)]
    assert [_countries(k) for k in keys] == [("US",)]
    [gap] = gaps
    assert (gap.field, gap.hides) == ("encryption.key", (Hidden.KEY,))


def test_bucket_key_on_sse_kms_without_a_key_is_aws_s3_wherever_the_bucket_is() -> None:
    # LocalStack's snapshot of AWS's answer after PutBucketEncryption of aws:kms with no key; the
    # response names no region, so the aws/s3 key is placed in the bucket's: here a Frankfurt one
    enc, keys, gaps = nz.encryption(
        _read("test_s3_bucket_encryption_sse_kms_aws_managed_key.get-bucket-enc.snapshot.json"),
        None,
        "eu-central-1",
    )
    assert (enc.tier, enc.key_id) == (EncryptionTier.PROVIDER_MANAGED, "alias/aws/s3")
    assert [(k.region, k.target, k.derived) for k in keys] == [
        ("eu-central-1", "alias/aws/s3", True)
    ]
    assert [_countries(k) for k in keys] == [("DE",)] and gaps == []


# --- Block Public Access, ACLs, ownership ----------------------------------------------------

NO_ACCOUNT_BLOCK = (
    "test_account_filter_s3_public_block_missing.s3-control.GetPublicAccessBlock_1.json"
)
NO_BUCKET_BLOCK = "test_s3_public_block_throws_errors.s3.GetPublicAccessBlock_1.json"
PRIVATE_ACL = "test_s3_global_grants_filter.s3.GetBucketAcl_1.json"  # owner FULL_CONTROL only
ALL_USERS_WRITE = "test_s3_global_grants_filter.s3.GetBucketAcl_3.json"
NO_OWNERSHIP = "test_s3_ownership_defined.s3.GetBucketOwnershipControls_1.json"
# the one input not from a recording: S3's answer to GetBucketPolicyStatus without a policy
NO_POLICY = Failure("NoSuchBucketPolicy")


def _verdict(
    account: str = NO_ACCOUNT_BLOCK,
    bucket: str = NO_BUCKET_BLOCK,
    acl: str = PRIVATE_ACL,
    ownership: str = NO_OWNERSHIP,
) -> tuple[PublicVerdict, list[Any], tuple[Evidence, ...]]:
    access, gaps = public_access(
        _read(account), _read(bucket), NO_POLICY, _read(acl), _read(ownership)
    )
    return access.verdict, gaps, access.evidence


def test_no_block_anywhere_and_a_private_acl_is_not_blocked_and_no_gap() -> None:
    # NoSuchPublicAccessBlockConfiguration (account and bucket) means every flag off, not unread
    assert not account_fully_blocked(_read(NO_ACCOUNT_BLOCK))
    verdict, gaps, _ = _verdict()
    assert (verdict, gaps) == (PublicVerdict.NOT_BLOCKED, [])


def test_an_acl_granting_all_users_write_makes_the_bucket_public() -> None:
    verdict, _, evidence = _verdict(acl=ALL_USERS_WRITE)
    assert verdict is PublicVerdict.PUBLIC
    assert Evidence(key="aws.acl-grant", subject="AllUsers", value="WRITE") in evidence


def test_bucket_owner_enforced_disables_that_acl() -> None:
    verdict, _, evidence = _verdict(
        acl=ALL_USERS_WRITE,
        ownership="test_s3_ownership_defined.s3.GetBucketOwnershipControls_3.json",
    )
    assert verdict is PublicVerdict.NOT_BLOCKED
    assert Evidence(key="aws.acls-disabled", subject="BucketOwnerEnforced") in evidence


def test_three_bucket_flags_without_ignore_public_acls_leave_a_public_acl_in_force() -> None:
    # BlockPublicAcls stops new public ACLs; only IgnorePublicAcls neutralises existing ones
    bucket = "test_s3_check_public_block.s3.GetPublicAccessBlock_2.json"
    assert _verdict(bucket=bucket)[0] is PublicVerdict.NOT_BLOCKED
    verdict, _, evidence = _verdict(bucket=bucket, acl=ALL_USERS_WRITE)
    assert verdict is PublicVerdict.PUBLIC
    assert Evidence(key="aws.bpa.flag", subject="IgnorePublicAcls", value="off") in evidence


def test_all_four_bucket_flags_block_even_a_public_acl() -> None:
    bucket = "test_s3_public_block_enable_all.s3.GetPublicAccessBlock_2.json"
    assert _verdict(bucket=bucket, acl=ALL_USERS_WRITE)[0] is PublicVerdict.BLOCKED


def test_an_account_block_of_block_public_acls_alone_does_not_block() -> None:
    account = "test_account_action_s3_public_block.s3-control.GetPublicAccessBlock_1.json"
    assert not account_fully_blocked(_read(account))
    assert _verdict(account=account, acl=ALL_USERS_WRITE)[0] is PublicVerdict.PUBLIC


def test_a_refused_bucket_block_is_unknown_with_a_public_access_gap() -> None:
    verdict, gaps, _ = _verdict(bucket="test_s3_check_public_block.s3.GetPublicAccessBlock_3.json")
    assert verdict is PublicVerdict.UNKNOWN
    [gap] = gaps
    assert (gap.field, gap.error_code, gap.hides) == (
        "public_access.bucket_block",
        "AccessDenied",
        (Hidden.PUBLIC_ACCESS,),
    )


# --- Multi-Region Access Points --------------------------------------------------------------


def test_each_mrap_member_may_hold_the_other_members_data() -> None:
    response = _read(
        "test_s3_multi_region_access_point.s3-control.ListMultiRegionAccessPoints_1.json"
    )
    assert isinstance(response, dict)
    members = nz.mrap_members(response["AccessPoints"])
    for bucket, other, region in (
        ("c1-replication", "c7n-ssm-build", "us-east-2"),
        ("c7n-ssm-build", "c1-replication", "us-east-1"),
    ):
        [loc] = nz.mrap_locations(bucket, members[bucket])
        assert (loc.role, loc.region, loc.certainty) == (
            Role.MULTI_REGION_MEMBER,
            region,
            Certainty.POSSIBLE,
        )
        assert loc.target == f"c7n-test: {other} (account 644160558196)"
        assert _countries(loc) == ("US",)


# --- every file has its source ---------------------------------------------------------------

_ROW = re.compile(
    r"^\| `([^`]+)` \| ([\w.-]+/[\w.-]+) \| `([^`]+)` \| `([0-9a-f]{40})` \| ([\w.-]+) \|$"
)


def test_every_recorded_file_names_its_repository_path_commit_and_licence() -> None:
    rows = {}
    for line in (DATA / "SOURCES.md").read_text("utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            rows[match[1]] = match.groups()[1:]
    files = {p.name for p in DATA.glob("*.json")}
    assert len(files) >= 10
    assert set(rows) == files
    for name, (repo, path, _, licence) in rows.items():
        assert licence == "Apache-2.0"
        if name.endswith(".snapshot.json"):
            # the LocalStack test the file is named after lives in the snapshot's module
            assert repo == "localstack/localstack"
            assert path.startswith("tests/aws/") and path.endswith(".snapshot.json")
            [test] = json.loads((DATA / name).read_text("utf-8"))
            assert test.startswith(path.removesuffix(".snapshot.json") + ".py::")
            assert test.endswith("::" + name.split(".")[0])
        else:
            assert repo == "cloud-custodian/cloud-custodian"
            assert path.startswith("tests/data/placebo/") and path.endswith(name.split(".", 1)[1])

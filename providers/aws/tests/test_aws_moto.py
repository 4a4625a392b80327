"""The whole provider against in-process moto: what a user sees for each estate shape.

moto enforces no IAM and misses a few APIs; where a test needs a refusal (AccessDenied, a role
that cannot be assumed) it is injected with the recorder's botocore ``before-call`` hook -- see
conftest.py. Everything else is real moto state created through boto3.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from residency_audit.errors import CollectionError
from residency_audit.model import (
    Bucket,
    CoverageNote,
    EncryptionTier,
    Evidence,
    Location,
    PublicVerdict,
    Role,
)
from residency_audit.permission_docs import PermissionRequest
from residency_audit.testing import read_provider
from residency_audit_aws import AwsProvider
from residency_audit_aws.collector import regions_in_use
from residency_audit_aws.permissions import ASSUME_ROLE, OPERATIONS, is_read_operation
from residency_audit_aws.testing import credentials_session

pytestmark = pytest.mark.usefixtures("moto")

FAST = {"max_attempts": 1, "regions": ["us-east-1", "ap-northeast-1", "ap-east-1", "eu-west-1"]}
MEMBER_ROLE = "ResidencyAuditReadOnly"
HK_VAULT = "arn:aws:backup:ap-east-1:123456789012:backup-vault:hk-vault"


def s3(region: str = "us-east-1", session: boto3.Session | None = None) -> Any:
    return (session or boto3).client("s3", region_name=region)


def make_bucket(
    name: str, region: str, session: boto3.Session | None = None, **kwargs: Any
) -> None:
    config = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3(region, session).create_bucket(Bucket=name, **config, **kwargs)


def replicate(
    source: str, *destinations: tuple[str, str | None], session: boto3.Session | None = None
) -> None:
    client = s3(session=session)
    client.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    rules = []
    for i, (dest, account) in enumerate(destinations):
        destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{dest}"}
        if account:
            destination["Account"] = account
        rules.append(
            {
                "ID": f"r{i}",
                "Priority": i,
                "Status": "Enabled",
                "Filter": {},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": destination,
            }
        )
    client.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": rules,
        },
    )


def member_session(account_id: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return credentials_session(creds)


def scan(
    settings: dict[str, Any] | None = None, recorder: Any = None
) -> tuple[dict[str, Bucket], list[CoverageNote]]:
    provider = AwsProvider.from_settings({**FAST, **(settings or {})}, session_factory=recorder)
    return read_provider(provider)


def where(bucket: Bucket, role: Role) -> list[tuple[str | None, str | None]]:
    return [(loc.region, loc.target) for loc in bucket.locations if loc.role is role]


def test_replicas_in_other_regions_and_other_accounts() -> None:
    other_id = "222233334444"  # moto lets us assume a role in any account id
    make_bucket("tokyo-orders", "ap-northeast-1")
    make_bucket("orders-hk", "ap-east-1")
    make_bucket("orders-dr-eu", "eu-west-1", session=member_session(other_id))
    replicate("tokyo-orders", ("orders-hk", None), ("orders-dr-eu", other_id))

    buckets, _ = scan()

    assert set(buckets) == {"tokyo-orders", "orders-hk"}  # the other account's is not ours
    tokyo = buckets["tokyo-orders"]
    assert tokyo.primary is not None and tokyo.primary.region == "ap-northeast-1"
    assert where(tokyo, Role.REPLICA) == [
        ("ap-east-1", "arn:aws:s3:::orders-hk"),
        ("eu-west-1", f"arn:aws:s3:::orders-dr-eu (account {other_id})"),
    ]


def test_destination_that_refuses_reads_gets_region_from_head_bucket(recorder: Any) -> None:
    make_bucket("jp-logs", "ap-northeast-1")
    make_bucket("partner-mirror", "ap-east-1")
    make_bucket("partner-sealed", "ap-east-1")
    replicate("jp-logs", ("partner-mirror", "999988887777"), ("partner-sealed", "999988887777"))
    is_partner = lambda p: p.get("Bucket", "").startswith("partner-")  # noqa: E731
    recorder.fail("s3", "GetBucketLocation", "AccessDenied", is_partner)
    # S3 answers HeadBucket 403 with the region header; the sealed one hides it (e.g. a proxy)
    recorder.fail(
        "s3",
        "HeadBucket",
        "403",
        lambda p: p["Bucket"] == "partner-mirror",
        headers={"x-amz-bucket-region": "ap-east-1"},
    )
    recorder.fail("s3", "HeadBucket", "403", lambda p: p["Bucket"] == "partner-sealed")

    buckets, _ = scan(recorder=recorder)

    replicas = {loc.target: loc for loc in buckets["jp-logs"].locations if loc.role is Role.REPLICA}
    mirror = replicas["arn:aws:s3:::partner-mirror (account 999988887777)"]
    assert (mirror.region, mirror.unknown_reason) == ("ap-east-1", None)
    sealed = replicas["arn:aws:s3:::partner-sealed (account 999988887777)"]
    assert sealed.region is None
    assert sealed.unknown_reason == (
        "destination region unreadable: GetBucketLocation AccessDenied, HeadBucket 403"
    )


def test_destination_that_does_not_exist_is_unknown_with_reason() -> None:
    make_bucket("jp-invoices", "ap-northeast-1")
    replicate("jp-invoices", ("invoices-archive-deleted", None))

    buckets, _ = scan()

    [replica] = [loc for loc in buckets["jp-invoices"].locations if loc.role is Role.REPLICA]
    assert replica.region is None
    assert replica.unknown_reason == "destination bucket does not exist (NoSuchBucket)"


def test_kms_key_in_another_region_and_multi_region_key_replicas() -> None:
    eu_key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
    kms_tokyo = boto3.client("kms", region_name="ap-northeast-1")
    mrk = kms_tokyo.create_key(MultiRegion=True)["KeyMetadata"]
    kms_tokyo.replicate_key(KeyId=mrk["KeyId"], ReplicaRegion="ap-east-1")
    for name, key in (("jp-eu-key", eu_key), ("jp-mrk", mrk["Arn"])):
        make_bucket(name, "ap-northeast-1")
        s3().put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key,
                        }
                    }
                ]
            },
        )

    buckets, _ = scan()

    assert buckets["jp-eu-key"].encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert where(buckets["jp-eu-key"], Role.KEY) == [("eu-west-1", eu_key)]
    assert sorted(r for r, _ in where(buckets["jp-mrk"], Role.KEY)) == [
        "ap-east-1",
        "ap-northeast-1",
    ]


def test_backup_plan_whose_selections_moto_cannot_list_is_a_gap_not_no_backup() -> None:
    make_bucket("jp-ledger", "ap-northeast-1")
    make_bucket("eu-brochures", "eu-west-1")
    backup = boto3.client("backup", region_name="ap-northeast-1")
    backup.create_backup_vault(BackupVaultName="tokyo-vault")
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "tokyo-vault",
                    "CopyActions": [{"DestinationBackupVaultArn": HK_VAULT}],
                }
            ],
        }
    )

    buckets, notes = scan()

    [gap] = [g for g in buckets["jp-ledger"].gaps if g.field == "backup"]
    assert gap.may_hide_copy and gap.error_code == "NotImplemented"
    assert "daily" in gap.reason
    # a plan backs up its own region only: the eu bucket is not affected
    assert not [g for g in buckets["eu-brochures"].gaps if g.field == "backup"]
    assert not [n for n in notes if n.kind == "backup-unreadable"]


def test_access_denied_on_individual_settings_becomes_gaps(recorder: Any) -> None:
    make_bucket("jp-hr", "ap-northeast-1")
    make_bucket("jp-open", "ap-northeast-1")
    hr = lambda p: p.get("Bucket") == "jp-hr"  # noqa: E731
    for operation in (
        "GetBucketEncryption",
        "GetBucketReplication",
        "GetBucketPolicyStatus",
        "GetBucketPolicy",
        "GetBucketTagging",
    ):
        recorder.fail("s3", operation, "AccessDenied", hr)

    buckets, _ = scan(recorder=recorder)

    hr_bucket = buckets["jp-hr"]
    gaps = {g.field: g for g in hr_bucket.gaps}
    assert {
        "encryption",
        "replication",
        "public_access.policy_status",
        "tags",
        "external_principals",
    } <= set(gaps)
    assert all(gaps[f].error_code == "AccessDenied" for f in ("encryption", "replication"))
    assert gaps["replication"].may_hide_copy
    assert hr_bucket.encryption.tier is EncryptionTier.UNKNOWN
    assert hr_bucket.public_access.verdict is PublicVerdict.UNKNOWN
    assert buckets["jp-open"].gaps == ()  # the other bucket reads fine


def test_public_and_blocked_buckets() -> None:
    make_bucket("site-assets", "us-east-1", ACL="public-read")
    make_bucket("jp-private", "ap-northeast-1")
    s3().put_public_access_block(
        Bucket="jp-private",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"],
            True,
        ),
    )

    buckets, _ = scan()

    assert buckets["site-assets"].public_access.verdict is PublicVerdict.PUBLIC
    grant = Evidence(key="aws.acl-grant", subject="AllUsers", value="READ")
    assert grant in buckets["site-assets"].public_access.evidence
    assert buckets["jp-private"].public_access.verdict is PublicVerdict.BLOCKED


def test_bucket_policy_principal_outside_the_account_is_external() -> None:
    make_bucket("shared-exports", "ap-northeast-1")
    s3().put_bucket_policy(
        Bucket="shared-exports",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::shared-exports/*",
                    }
                ]
            }
        ),
    )

    buckets, _ = scan()

    assert buckets["shared-exports"].external_principals == ("arn:aws:iam::999988887777:root",)


def test_multi_region_access_point_members_are_recorded_on_each_member() -> None:
    make_bucket("catalog-tokyo", "ap-northeast-1")
    make_bucket("catalog-frankfurt", "eu-central-1")
    boto3.client("s3control", region_name="us-west-2").create_multi_region_access_point(
        AccountId="123456789012",
        ClientToken="t",
        Details={
            "Name": "catalog",
            "Regions": [{"Bucket": "catalog-tokyo"}, {"Bucket": "catalog-frankfurt"}],
        },
    )

    buckets, _ = scan()

    # moto reports every member in us-east-1 (testing-backends.md), so only the membership is
    # checked here; the member regions are checked with Stubber in test_aws_stubbed.py.
    members = [t for _, t in where(buckets["catalog-tokyo"], Role.MULTI_REGION_MEMBER)]
    assert members == ["catalog: catalog-frankfurt"]
    members = [t for _, t in where(buckets["catalog-frankfurt"], Role.MULTI_REGION_MEMBER)]
    assert members == ["catalog: catalog-tokyo"]


def _organisation() -> tuple[str, str]:
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for name in ("jp-prod", "sandbox"):
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        ids.append(status["CreateAccountStatus"]["AccountId"])
    return ids[0], ids[1]


def test_organisation_with_three_accounts_one_refusing_the_role(recorder: Any) -> None:
    prod, sandbox = _organisation()
    make_bucket("mgmt-audit-logs", "ap-northeast-1")
    make_bucket("prod-app-data", "ap-northeast-1", session=member_session(prod))
    make_bucket("sandbox-scratch", "us-east-1", session=member_session(sandbox))
    # moto never evaluates role trust policies, so the refusal is injected (conftest.py)
    recorder.fail("sts", "AssumeRole", "AccessDenied", lambda p: sandbox in p["RoleArn"])
    provider = AwsProvider.from_settings({**FAST, "organization": True}, session_factory=recorder)

    scopes = {s.id: s for s in provider.scopes()}

    assert set(scopes) == {"123456789012", prod, sandbox}
    listed = {
        sid: [b.name for b in provider.buckets(s) if isinstance(b, Bucket)]
        for sid, s in scopes.items()
        if sid != sandbox
    }
    assert listed == {"123456789012": ["mgmt-audit-logs"], prod: ["prod-app-data"]}
    with pytest.raises(CollectionError) as refused:
        list(provider.buckets(scopes[sandbox]))
    assert refused.value.code == "AccessDenied"
    assert sandbox in str(refused.value) and "fake-secret" not in str(refused.value)


def test_include_and_exclude_accounts_filter_scopes() -> None:
    prod, sandbox = _organisation()
    provider = AwsProvider.from_settings(
        {**FAST, "organization": True, "exclude_accounts": [sandbox]}
    )
    assert {s.id for s in provider.scopes()} == {"123456789012", prod}
    provider = AwsProvider.from_settings({**FAST, "organization": True, "include_accounts": [prod]})
    assert [s.id for s in provider.scopes()] == [prod]


def test_regions_in_use_are_where_the_bucket_lives_and_the_accounts_own_copies() -> None:
    def loc(role: Role, region: str, target: str | None = None) -> Location:
        return Location(role=role, provider="aws", region=region, mechanism="m", target=target)

    bucket = Bucket(
        provider="aws",
        scope="111122223333",
        name="b",
        uid="arn:aws:s3:::b",
        locations=(
            loc(Role.PRIMARY, "ap-northeast-1"),
            loc(Role.BACKUP, "ap-east-1", "arn:aws:backup:ap-east-1:111122223333:backup-vault:v"),
            loc(Role.BACKUP, "me-south-1", "arn:aws:backup:me-south-1:999988887777:backup-vault:x"),
            loc(Role.REPLICA, "il-central-1", "arn:aws:s3:::other-owner"),
        ),
    )
    # another account's vault or a bucket of unknown owner proves nothing about this account
    assert regions_in_use(bucket, "111122223333") == {"ap-northeast-1", "ap-east-1"}


def test_full_scan_reads_only_what_the_policy_grants_and_lists_disabled_regions(
    recorder: Any,
) -> None:
    prod, _ = _organisation()
    make_bucket("mgmt-logs", "ap-northeast-1")
    member = member_session(prod)
    make_bucket("prod-data", "ap-northeast-1", session=member)
    make_bucket("prod-dr", "ap-east-1", session=member)
    replicate("prod-data", ("prod-dr", None), ("gone-bucket", None), session=member)
    key = boto3.client("kms", region_name="ap-northeast-1").create_key()["KeyMetadata"]["Arn"]
    s3().put_bucket_encryption(
        Bucket="mgmt-logs",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    s3().put_bucket_policy(
        Bucket="mgmt-logs",
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": prod},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::mgmt-logs/*",
                    }
                ]
            }
        ),
    )
    boto3.client("backup", region_name="ap-northeast-1").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}],
        }
    )
    # a DataSync task in the member account (so its DescribeTask is made too)
    datasync = member.client("datasync", region_name="ap-northeast-1")
    role = {"BucketAccessRoleArn": f"arn:aws:iam::{prod}:role/datasync"}
    source, destination = (
        datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{b}", S3Config=role)["LocationArn"]
        for b in ("prod-data", "prod-dr")
    )
    datasync.create_task(SourceLocationArn=source, DestinationLocationArn=destination)
    # a trail recording mgmt-logs' data events: its selectors and its status are read too
    trail = boto3.client("cloudtrail", region_name="ap-northeast-1")
    trail.create_trail(Name="data-events", S3BucketName="mgmt-logs")
    trail.put_event_selectors(
        TrailName="data-events",
        EventSelectors=[
            {"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::mgmt-logs/"]}]}
        ],
    )
    # which identity made each call: a member account's session is built on the assumed role's
    # botocore session (client.assume_role_account), the caller's from the credential chain
    made_by: dict[str, set[tuple[str, str]]] = {"caller": set(), "member": set()}

    def tagging(**kwargs: Any) -> boto3.Session:
        session = recorder(**kwargs)
        calls = made_by["member" if "botocore_session" in kwargs else "caller"]

        def record(model: Any, **_: Any) -> None:
            calls.add((model.service_model.service_name, model.name))

        session.events.register("before-parameter-build", record)
        return session

    # no regions override: the enabled regions come from ec2:DescribeRegions
    provider = AwsProvider.from_settings(
        {"organization": True, "max_attempts": 1}, session_factory=tagging
    )
    notes = [
        n
        for scope in provider.scopes()
        for n in provider.buckets(scope)
        if isinstance(n, CoverageNote)
    ]

    # regions not enabled are listed in coverage (moto marks the opt-in regions not-opted-in),
    # except one that holds a bucket of the account: prod-dr lives in ap-east-1
    disabled = {
        n.detail.split(":")[0].removeprefix("account "): n.detail.split(": ")[-1].split(", ")
        for n in notes
        if n.kind == "region-not-enabled"
    }
    assert prod in disabled and len(disabled) == 3  # the management account, prod, sandbox
    assert all("ap-east-1" in r for a, r in disabled.items() if a != prod)
    assert "ap-northeast-1" not in disabled[prod]
    assert "ap-east-1" not in disabled[prod] and "me-south-1" in disabled[prod]
    assert not any(n.affects_completeness for n in notes)
    recorded = recorder.operations()
    assert all(is_read_operation(op) or (svc, op) == ASSUME_ROLE for svc, op in recorded)
    assert recorded - {ASSUME_ROLE} <= set(OPERATIONS)
    statements = provider.permission_policy()["Statement"]
    granted = {a for s in statements for a in s["Action"]}
    needed = {OPERATIONS[op] for op in recorded if op in OPERATIONS} - {None}
    # moto cannot list backup selections, so GetBackupSelection is never reached here; its
    # mapping is exercised by the Stubber tests.
    needed |= {"backup:GetBackupSelection", "sts:AssumeRole"}
    # read by `catalog check`, not by a scan (test_aws_live_regions.py records them)
    needed |= {"account:ListRegions", "ssm:GetParametersByPath", "ssm:GetParameters"}
    assert granted == needed
    assert not any("*" in action for action in granted)
    assert [s["Resource"] for s in statements if s["Action"] == ["sts:AssumeRole"]] == [
        [f"arn:*:iam::*:role/{MEMBER_ROLE}"]
    ]

    # the ready-made documents: the member role grants every call made in a member account,
    # the management policy every call the caller made, and together they grant nothing unused
    def actions(policy: dict[str, Any]) -> set[str]:
        return {a for s in policy["Statement"] for a in s["Action"]}

    def needs(calls: set[tuple[str, str]]) -> set[str]:
        return {a for op in calls if (a := OPERATIONS.get(op))} | (
            {"sts:AssumeRole"} if ASSUME_ROLE in calls else set()
        )

    member = json.loads(
        provider.permission_document(
            PermissionRequest(variant="member-role", management_account="123456789012")
        )
    )["PolicyDocument"]
    management = json.loads(provider.permission_document(PermissionRequest(variant="organization")))
    assert made_by["member"] and made_by["caller"]
    assert made_by["caller"] | made_by["member"] == recorded
    assert needs(made_by["member"]) <= actions(member)
    assert needs(made_by["caller"]) <= actions(management)
    assert ("organizations", "ListAccounts") not in made_by["member"]
    assert ASSUME_ROLE not in made_by["member"]
    assert actions(member) | actions(management) == needed
    assert [s["Resource"] for s in management["Statement"] if "sts:AssumeRole" in s["Action"]] == [
        [f"arn:aws:iam::*:role/{MEMBER_ROLE}"]
    ]


def test_scope_that_cannot_be_listed_fails_and_org_listing_failure_fails_scopes(
    recorder: Any,
) -> None:
    _organisation()
    recorder.fail("s3", "ListBuckets", "AccessDenied")
    provider = AwsProvider.from_settings(FAST, session_factory=recorder)
    [scope] = provider.scopes()
    with pytest.raises(CollectionError) as failed:
        list(provider.buckets(scope))
    assert failed.value.code == "AccessDenied"
    recorder.fail("organizations", "ListAccounts", "AccessDeniedException", status=400)
    org = AwsProvider.from_settings({**FAST, "organization": True}, session_factory=recorder)
    with pytest.raises(CollectionError, match="ListAccounts"):
        org.scopes()


def test_bucket_region_from_list_buckets_saves_the_location_call(recorder: Any) -> None:
    from residency_audit_aws.client import AwsAccount
    from residency_audit_aws.collector import AccountScan, ScanContext
    from residency_audit_aws.settings import parse_settings

    make_bucket("hk-listed", "ap-east-1")
    settings = parse_settings(FAST)
    account = AwsAccount(recorder(), settings.partitions[0], settings)
    scan = AccountScan(account, ScanContext("123456789012", "aws", frozenset(), 2))

    listed = scan.bucket({"Name": "hk-listed", "BucketRegion": "ap-east-1"})

    assert listed.primary is not None and listed.primary.region == "ap-east-1"
    assert ("s3", "GetBucketLocation") not in recorder.operations()
    assert ("s3", "GetBucketEncryption") in recorder.operations()


def test_request_rate_cap_applies_to_every_request_of_the_account(
    recorder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from residency_audit_aws.ratelimit import RateLimiter

    acquired: list[float] = []
    monkeypatch.setattr(RateLimiter, "acquire", lambda self: acquired.append(self.rate))
    make_bucket("jp-one", "ap-northeast-1")

    scan({"max_requests_per_second": 7.5}, recorder=recorder)

    # the limiter (whose pacing is unit-tested in test_aws_settings.py) gates every request
    assert len(acquired) == len(recorder.calls) > 10
    assert set(acquired) == {7.5}

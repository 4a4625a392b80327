"""Settings validation, the no-network construction, and the `permissions aws` command."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.loaders import Loader

from residency_audit.errors import ConfigError
from residency_audit.plugins import Provider, load_provider_class
from residency_audit_aws import AwsProvider
from residency_audit_aws.client import AwsAccount
from residency_audit_aws.permissions import OPERATIONS, required_permissions
from residency_audit_aws.ratelimit import RateLimiter
from residency_audit_aws.settings import partition_of


def test_defaults_build_without_any_network_call(recorder: Any) -> None:
    provider = AwsProvider.from_settings({}, session_factory=recorder)
    assert isinstance(provider, Provider)
    assert load_provider_class("aws") is AwsProvider  # registered entry point
    provider.permission_policy()
    assert recorder.calls == []
    [partition] = provider.settings.partitions
    assert (partition.name, partition.role_name, partition.organization) == (
        "aws",
        "ResidencyAuditReadOnly",
        False,
    )


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"max_workers": 0}, "providers.aws.max_workers"),
        ({"max_workers": True}, "providers.aws.max_workers"),
        ({"retry_mode": "legacy"}, "providers.aws.retry_mode"),
        ({"max_requests_per_second": -1}, "providers.aws.max_requests_per_second"),
        ({"include_accounts": [123456789012]}, "providers.aws.include_accounts"),
        ({"regions": ["tokyo"]}, "providers.aws.regions"),
        ({"endpoint_url": "127.0.0.1:5000"}, "providers.aws.endpoint_url"),
        ({"organisation": True}, "providers.aws.organisation"),
        ({"partitions": {"aws-jp": {}}}, "providers.aws.partitions.aws-jp"),
        (
            {"partitions": {"aws-cn": {"role_name": "bad name!"}}},
            "providers.aws.partitions.aws-cn.role_name",
        ),
        (
            {"partitions": {"aws-cn": {"max_workers": 3}}},
            "providers.aws.partitions.aws-cn.max_workers",
        ),
        ({"regions": ["cn-north-1"]}, "providers.aws.regions"),
        (
            {"partitions": {"aws-cn": {"regions": ["cn-north-1", "ap-northeast-1"]}}},
            "providers.aws.partitions.aws-cn.regions",
        ),
        (
            {"partitions": {"aws": {"regions": ["us-gov-west-1"]}}},
            "providers.aws.partitions.aws.regions",
        ),
        # the European Sovereign Cloud is its own partition, not a region of aws
        ({"regions": ["eusc-de-east-1"]}, "providers.aws.regions"),
        (
            {"partitions": {"aws": {"regions": ["eu-central-1", "eusc-de-east-1"]}}},
            "providers.aws.partitions.aws.regions",
        ),
        (
            {"partitions": {"aws-iso-b": {"regions": ["us-iso-east-1"]}}},
            "providers.aws.partitions.aws-iso-b.regions",
        ),
    ],
)
def test_invalid_settings_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        AwsProvider.from_settings(settings)
    assert error.value.key == key


def test_partitions_inherit_top_level_values_and_override_them() -> None:
    provider = AwsProvider.from_settings(
        {
            "organization": True,
            "external_id": "audit-2026",
            "exclude_accounts": ["111122223333"],
            "partitions": {"aws": {}, "aws-cn": {"profile": "china", "organization": False}},
        }
    )
    aws, cn = provider.settings.partitions
    assert (aws.organization, aws.external_id, aws.exclude_accounts) == (
        True,
        "audit-2026",
        frozenset({"111122223333"}),
    )
    # botocore's implicitGlobalRegion of aws-cn, where its Organizations endpoint is
    assert (cn.profile, cn.organization, cn.home_region) == ("china", False, "cn-northwest-1")


def test_a_top_level_region_list_gives_each_partition_only_its_own_regions() -> None:
    # aws-cn credentials are refused in ap-northeast-1: each partition keeps its own regions, and
    # one left with none reads every region enabled for its account (None)
    provider = AwsProvider.from_settings(
        {
            "regions": ["ap-northeast-1", "cn-northwest-1", "us-east-1"],
            "partitions": {"aws": {}, "aws-cn": {}, "aws-us-gov": {}},
        }
    )
    assert [(p.name, p.regions) for p in provider.settings.partitions] == [
        ("aws", ("ap-northeast-1", "us-east-1")),
        ("aws-cn", ("cn-northwest-1",)),
        ("aws-us-gov", None),
    ]


def test_policy_grants_exactly_the_declared_reads_and_assume_role_only_in_org_mode() -> None:
    single = AwsProvider.from_settings({}).permission_policy()
    [read] = single["Statement"]
    assert read["Action"] == required_permissions()
    # the AWS Config reads are granted only with source = "inventory"
    assert set(read["Action"]) == {a for op, a in OPERATIONS.items() if a and op[0] != "config"}
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in read["Action"])
    org = AwsProvider.from_settings({"organization": True, "role_name": "audit/Reader"})
    assume = org.permission_policy()["Statement"][1]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == ["arn:*:iam::*:role/audit/Reader"]
    assert "sts:AssumeRole" in org.required_permissions()


def test_permissions_command_prints_the_policy() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "residency_audit", "permissions", "aws"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    policy = json.loads(done.stdout)
    assert policy["Statement"][0]["Action"] == required_permissions()


def test_rate_limiter_spaces_requests_to_the_cap() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    # burst of 2, then one request every 0.5 s
    assert now[0] == pytest.approx(1.5)


# Each partition's home region and region names, as botocore's partitions.json gives them
# (botocore 1.44.8: outputs.implicitGlobalRegion and regionRegex of each partition).
SOVEREIGN = {
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1", "us-isob-west-1"),
    "aws-iso-e": ("eu-isoe-west-1", "eu-isoe-west-1"),
    "aws-iso-f": ("us-isof-south-1", "us-isof-east-1"),
    "aws-eusc": ("eusc-de-east-1", "eusc-de-east-1"),
}


@pytest.mark.parametrize(("region", "partition"), [
    ("eusc-de-east-1", "aws-eusc"),
    ("eusc-de-west-9", "aws-eusc"),  # not in botocore yet: its regionRegex claims it
    ("us-iso-east-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"),
    ("eu-isoe-west-1", "aws-iso-e"),
    ("us-isof-south-1", "aws-iso-f"),
    ("us-gov-east-1", "aws-us-gov"),
    ("cn-north-1", "aws-cn"),
    ("eu-central-1", "aws"),
    ("me-west-1", "aws"),
])  # fmt: skip
def test_partition_of_follows_botocore(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_a_config_naming_the_sovereign_partitions_builds_each_with_its_own_credentials(
    recorder: Any,
) -> None:
    provider = AwsProvider.from_settings(
        {
            "regions": ["us-east-1", *(regions[1] for regions in SOVEREIGN.values())],
            "partitions": {name: {"profile": f"p-{name}"} for name in ["aws", *SOVEREIGN]},
        },
        session_factory=recorder,
    )
    got = {p.name: (p.profile, p.home_region, p.regions) for p in provider.settings.partitions}
    assert got["aws"] == ("p-aws", "us-east-1", ("us-east-1",))
    for name, (home, region) in SOVEREIGN.items():
        assert got[name] == (f"p-{name}", home, (region,))
    assert recorder.calls == []


@pytest.mark.parametrize("name", sorted(SOVEREIGN))
def test_clients_of_a_sovereign_partition_go_to_its_own_endpoints(name: str) -> None:
    home, region = SOVEREIGN[name]
    provider = AwsProvider.from_settings({"partitions": {name: {}}})
    [settings] = provider.settings.partitions
    session = boto3.Session(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")
    account = AwsAccount(session, settings, provider.settings)
    dns = {
        p["id"]: p["outputs"]["dnsSuffix"] for p in Loader().load_data("partitions")["partitions"]
    }
    for service, where in (("s3", region), ("sts", home), ("s3control", home)):
        url = account.client(service, where).meta.endpoint_url
        assert url.endswith("." + dns[name]) and where in url, (service, url)

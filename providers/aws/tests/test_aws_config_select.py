"""source = "inventory" through SelectAggregateResourceConfig, which moto does not implement: the
Config client answers through botocore's Stubber (every request and response is validated
against botocore's service model), with the response shapes of config_rows.py (AWS's
documented Select results and Config's S3 item schema). Everything else -- the live reads the
inventory falls back to, and a verification sample's reads -- runs on in-process moto.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.errors import ConfigError
from residency_audit.model import Bucket, CoverageNote, Role
from residency_audit.testing import read_provider
from residency_audit_aws import AwsProvider

from .config_rows import ACCOUNT, census, full_supplementary, row
from .conftest import Recorder
from .test_aws_moto import make_bucket, replicate

pytestmark = pytest.mark.usefixtures("moto")

AGGREGATOR = "org-aggregator"
SETTINGS = {
    "source": "inventory",
    "aggregator": AGGREGATOR,
    "max_attempts": 1,
    "regions": ["ap-northeast-1"],
}


def stubbed(provider: AwsProvider) -> Stubber:
    """The Stubber on the Config client the provider's caller account will use."""
    base = provider._base(provider.settings.partitions[0])
    stubber = Stubber(base.client("config", "us-east-1"))
    stubber.activate()
    return stubber


def select(stubber: Stubber, response: dict[str, Any], token: str | None = None) -> None:
    expected = {"ConfigurationAggregatorName": AGGREGATOR, "Expression": ANY, "Limit": 100}
    if token:
        expected["NextToken"] = token
    stubber.add_response("select_aggregate_resource_config", response, expected)


def pages(rows: list[str], stubber: Stubber) -> None:
    """The rows in pages of 100, each but the last with a NextToken."""
    chunks = [rows[i : i + 100] for i in range(0, len(rows), 100)]
    for n, chunk in enumerate(chunks):
        page: dict[str, Any] = {"Results": chunk}
        if n + 1 < len(chunks):
            page["NextToken"] = f"page-{n + 1}"
        select(stubber, page, f"page-{n}" if n else None)


def like_the_item(name: str) -> None:
    """The bucket in moto as full_supplementary records it (tags, SSE-S3, Block Public Access)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_bucket_tagging(
        Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "internal"}]}
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
    )


@pytest.mark.parametrize("n", [1, 250])
def test_n_buckets_take_one_census_and_ceil_n_over_100_pages_and_no_s3_read(n: int) -> None:
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
    )
    recorder = Recorder()
    provider = AwsProvider.from_settings(SETTINGS, session_factory=recorder)
    stubber = stubbed(provider)
    select(stubber, census({ACCOUNT: n}))
    names = [f"fleet-{i:05d}" for i in range(n)]
    pages([row(name, "ap-northeast-1", full_supplementary(name)) for name in names], stubber)

    buckets, notes = read_provider(provider)

    stubber.assert_no_pending_responses()
    assert sorted(buckets) == names
    assert all(b.read_live == () and b.captured is not None for b in buckets.values())
    config = [c for c in recorder.calls if c[0] == "config"]
    assert len(config) == 1 + math.ceil(n / 100)
    # every bucket setting (access logging too) came from the items: S3 was asked nothing
    # about any bucket
    assert not [c for c in recorder.calls if c[0] == "s3"]
    assert not [nt for nt in notes if nt.kind == "inventory-fallback"]
    # S3 Inventory configurations, which Config does not record, are left unread (a report
    # stays in its source's region) and the coverage says so
    [skipped] = [nt for nt in notes if nt.kind == "inventory-reports-not-read"]
    assert skipped.counts == {"buckets": n}
    assert "own region" in skipped.detail and 'inventory_reports = "live"' in skipped.detail
    [source] = [nt for nt in notes if nt.kind == "inventory-source"]
    assert source.counts == {"buckets": n}


def test_inventory_reports_live_reads_each_buckets_inventory_configurations() -> None:
    recorder = Recorder()
    provider = AwsProvider.from_settings(
        {**SETTINGS, "inventory_reports": "live"}, session_factory=recorder
    )
    stubber = stubbed(provider)
    select(stubber, census({ACCOUNT: 2}))
    names = ["fleet-a", "fleet-b"]
    pages([row(name, "ap-northeast-1", full_supplementary(name)) for name in names], stubber)

    buckets, notes = read_provider(provider)

    s3 = sorted(
        (op, p["Bucket"])
        for service, op, p in recorder.calls
        if service == "s3" and op == "ListBucketInventoryConfigurations"
    )
    assert s3 == [("ListBucketInventoryConfigurations", n) for n in names]
    assert all("inventory_reports" in b.read_live for b in buckets.values())
    assert not [nt for nt in notes if nt.kind == "inventory-reports-not-read"]


def test_verify_sample_reports_a_replication_rule_added_after_the_item_was_captured() -> None:
    make_bucket("plant-contracts", "ap-northeast-1")
    like_the_item("plant-contracts")
    make_bucket("plant-contracts-eu", "eu-west-1")
    replicate("plant-contracts", ("plant-contracts-eu", None))  # after the capture below
    captured_before = full_supplementary("plant-contracts")  # no replication rule then

    def scan(**extra: Any) -> tuple[dict[str, Bucket], list[CoverageNote]]:
        provider = AwsProvider.from_settings({**SETTINGS, **extra})
        stubber = stubbed(provider)
        select(stubber, census({ACCOUNT: 1}))
        pages([row("plant-contracts", "ap-northeast-1", captured_before)], stubber)
        return read_provider(provider)

    unverified, notes = scan()
    assert not [loc for loc in unverified["plant-contracts"].locations if loc.role is Role.REPLICA]
    assert not [nt for nt in notes if nt.kind == "inventory-disagreement"]

    verified, notes = scan(verify_sample=1, verify_seed=7)
    [note] = [nt for nt in notes if nt.kind == "inventory-disagreement"]
    assert "bucket plant-contracts: locations differs" in note.detail
    assert "eu-west-1" in note.detail and "the live reading is reported" in note.detail
    # the live reading is the one reported
    replicas = [loc for loc in verified["plant-contracts"].locations if loc.role is Role.REPLICA]
    assert [loc.region for loc in replicas] == ["eu-west-1"]


def test_an_item_without_a_replication_entry_is_read_live_not_taken_as_none() -> None:
    make_bucket("plant-src", "ap-northeast-1")
    make_bucket("plant-dst", "eu-west-1")
    replicate("plant-src", ("plant-dst", None))
    supplementary = full_supplementary("plant-src")
    del supplementary["BucketReplicationConfiguration"]
    provider = AwsProvider.from_settings(SETTINGS)
    stubber = stubbed(provider)
    select(stubber, census({ACCOUNT: 1}))
    pages([row("plant-src", "ap-northeast-1", supplementary)], stubber)

    buckets, notes = read_provider(provider)

    bucket = buckets["plant-src"]
    # and the ownership controls, which Config never records (no account-wide block here)
    assert bucket.read_live == ("public_access.ownership", "replication")
    assert [loc.region for loc in bucket.locations if loc.role is Role.REPLICA] == ["eu-west-1"]
    [fallback] = [nt for nt in notes if nt.kind == "inventory-fallback"]
    assert fallback.counts["reason.absent"] == 1 and fallback.counts["field.replication"] == 1


def test_a_denied_aggregator_fails_the_scopes_naming_the_call() -> None:
    provider = AwsProvider.from_settings(SETTINGS)
    stubber = stubbed(provider)
    stubber.add_client_error(
        "select_aggregate_resource_config", "AccessDeniedException", http_status_code=400
    )
    with pytest.raises(Exception, match="config:SelectAggregateResourceConfig failed"):
        provider.scopes()


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"source": "inventory"}, "providers.aws.aggregator"),
        ({**SETTINGS, "max_age": "soon"}, "providers.aws.max_age"),
        ({**SETTINGS, "verify_sample": -1}, "providers.aws.verify_sample"),
        ({**SETTINGS, "inventory_query": "graphql"}, "providers.aws.inventory_query"),
        ({**SETTINGS, "aggregator_region": "Tokyo"}, "providers.aws.aggregator_region"),
        ({"source": "asset-graph"}, "providers.aws.source"),
        ({"aggregator": AGGREGATOR}, "providers.aws.aggregator"),  # without source = inventory
    ],
)
def test_bad_inventory_settings_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        AwsProvider.from_settings(settings)
    assert caught.value.key == key


def test_a_scan_without_an_aggregator_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('[providers.aws]\nsource = "inventory"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["scan", "--config", str(config), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "providers.aws.aggregator" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))


def test_permissions_print_the_aggregator_reads_only_for_an_inventory_config(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        f'[providers.aws]\nsource = "inventory"\naggregator = "{AGGREGATOR}"\n', encoding="utf-8"
    )
    live = tmp_path / "live.toml"
    live.write_text("[providers.aws]\n", encoding="utf-8")

    def granted(config: Path, *options: str) -> set[str]:
        result = CliRunner().invoke(cli, ["permissions", "aws", "--config", str(config), *options])
        assert result.exit_code == 0, result.output
        return {a for s in json.loads(result.stdout)["Statement"] for a in s["Action"]}

    assert "config:SelectAggregateResourceConfig" in granted(inventory)
    assert "config:SelectAggregateResourceConfig" in granted(inventory, "--organization")
    assert "config:DescribeConfigurationAggregatorSourcesStatus" in granted(inventory)
    assert not any(a.startswith("config:") for a in granted(live))


def test_an_item_of_a_deleted_bucket_is_not_scanned() -> None:
    make_bucket("still-here", "ap-northeast-1")
    like_the_item("still-here")
    gone = json.loads(row("long-gone", "ap-northeast-1", full_supplementary("long-gone")))
    gone["configurationItemStatus"] = "ResourceDeleted"
    provider = AwsProvider.from_settings(SETTINGS)
    stubber = stubbed(provider)
    select(stubber, census({ACCOUNT: 2}))
    here = row("still-here", "ap-northeast-1", full_supplementary("still-here"))
    pages([here, json.dumps(gone)], stubber)

    buckets, _ = read_provider(provider)

    assert sorted(buckets) == ["still-here"]


def test_the_list_path_on_moto_pages_100_identifiers_and_100_items_a_call() -> None:
    """inventory_query = "list" on moto's own aggregator calls (no Stubber): 150 buckets take
    two listing pages and two BatchGets."""
    for i in range(150):
        make_bucket(f"listed-{i:03d}", "ap-northeast-1")
    boto3.client("config", region_name="us-east-1").put_configuration_aggregator(
        ConfigurationAggregatorName=AGGREGATOR,
        AccountAggregationSources=[{"AccountIds": [ACCOUNT], "AllAwsRegions": True}],
    )
    recorder = Recorder()
    provider = AwsProvider.from_settings(
        {**SETTINGS, "inventory_query": "list"}, session_factory=recorder
    )

    buckets, _ = read_provider(provider)

    assert len(buckets) == 150 and all(b.captured for b in buckets.values())
    config = [
        (op, len(p.get("ResourceIdentifiers", []))) for s, op, p in recorder.calls if s == "config"
    ]
    assert config == [
        ("ListAggregateDiscoveredResources", 0),
        ("ListAggregateDiscoveredResources", 0),
        ("DescribeConfigurationAggregatorSourcesStatus", 0),  # once, after the census
        ("BatchGetAggregateResourceConfig", 100),
        ("BatchGetAggregateResourceConfig", 50),
    ]

"""source = "inventory" against moto's AWS Config aggregator (ListAggregateDiscoveredResources +
BatchGetAggregateResourceConfig): the held-out estate in tests/data/inventory_estate.json,
seeded into moto_server, scanned live and through the aggregator.

moto's configuration items are thinner than real AWS Config's: no encryption and no replication
entry, no bucket-level Block Public Access unless set (testing-backends.md). Those settings are
read live, and the coverage says so; the findings must not change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from residency_audit.model import Bucket, CoverageNote
from residency_audit.profiles import load_profile
from residency_audit.results import ScanResult
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import collect, evaluate_inventory
from residency_audit.testing import read_provider
from residency_audit_aws import AwsProvider
from residency_audit_aws.permissions import ASSUME_ROLE, OPERATIONS, is_read_operation
from residency_audit_aws.testing import moto_server, seed_estate

from .conftest import Recorder, fake_credentials

ESTATE = json.loads((Path(__file__).parent / "data" / "inventory_estate.json").read_text())
NAMES = {b["name"] for a in ESTATE["accounts"] for b in a["buckets"]}
REGIONS = ["us-east-1", "ap-northeast-1", "ap-northeast-3", "eu-central-1"]
AGGREGATOR = "org-aggregator"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        fake_credentials(patch)
        with moto_server() as url:
            seed_estate(url, ESTATE)
            boto3.client(
                "config", region_name="us-east-1", endpoint_url=url
            ).put_configuration_aggregator(
                ConfigurationAggregatorName=AGGREGATOR,
                AccountAggregationSources=[{"AccountIds": ["123456789012"], "AllAwsRegions": True}],
            )
            yield url


def settings(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {"endpoint_url": endpoint, "max_attempts": 1, "regions": REGIONS, **extra}


def inventory(endpoint: str, **extra: Any) -> dict[str, Any]:
    return settings(
        endpoint, source="inventory", aggregator=AGGREGATOR, inventory_query="list", **extra
    )


def evaluated(provider: AwsProvider) -> ScanResult:
    return evaluate_inventory(
        collect({"aws": provider}),
        load_profile("jp-default"),
        EvaluationSettings(today=date(2026, 12, 1)),
    )


def test_the_estate_through_the_aggregator_gives_the_live_scans_findings(endpoint: str) -> None:
    live = evaluated(AwsProvider.from_settings(settings(endpoint)))
    recorder = Recorder()
    through = evaluated(AwsProvider.from_settings(inventory(endpoint), session_factory=recorder))

    assert {b.name for b in through.inventory.buckets} == NAMES
    fingerprints = {f.fingerprint for f in live.findings}
    assert fingerprints  # the estate has findings: a replica in Frankfurt, a key replica, ...
    assert {f.fingerprint for f in through.findings} == fingerprints
    for bucket in through.inventory.buckets:
        twin = next(b for b in live.inventory.buckets if b.uid == bucket.uid)
        assert bucket.locations == twin.locations
        assert bucket.encryption == twin.encryption
        assert bucket.public_access.verdict == twin.public_access.verdict
        assert bucket.captured is not None
    # one listing page and one BatchGet of up to 100 items for the five buckets
    config = [op for service, op, _ in recorder.calls if service == "config"]
    # and the sources' status, once (moto lacks it: the capture times stay the basis, noted)
    assert config == [
        "ListAggregateDiscoveredResources",
        "DescribeConfigurationAggregatorSourcesStatus",
        "BatchGetAggregateResourceConfig",
    ]
    assert ("s3", "ListBuckets") not in recorder.operations()


def test_what_moto_does_not_record_is_read_live_and_counted(endpoint: str) -> None:
    recorder = Recorder()
    buckets, notes = read_provider(
        AwsProvider.from_settings(inventory(endpoint), session_factory=recorder)
    )

    # moto records tags, the policy and the ACL: those are not asked of S3
    tagged = buckets["inv-design-tokyo"]
    assert "tags" not in tagged.read_live and "external_principals" not in tagged.read_live
    assert {"encryption", "replication"} <= set(tagged.read_live)
    # an untagged bucket has no tagging entry: absent is not "no tags", so S3 is asked
    assert "tags" in buckets["inv-untagged"].read_live
    asked = {p["Bucket"] for s, op, p in recorder.calls if (s, op) == ("s3", "GetBucketTagging")}
    assert asked == {"inv-untagged"}
    assert not any(op == "GetBucketPolicy" for _, op, _ in recorder.calls)

    [source] = [n for n in notes if n.kind == "inventory-source"]
    assert source.counts == {"buckets": len(NAMES)}
    [fallback] = [n for n in notes if n.kind == "inventory-fallback"]
    assert fallback.counts["buckets"] == len(NAMES)
    assert fallback.counts["field.encryption"] == len(NAMES)
    assert fallback.counts["field.tags"] == 1
    assert "AWS Config aggregator 'org-aggregator'" in fallback.detail
    # moto lacks the sources' status: max_age is measured against the capture times, noted
    [status] = [n for n in notes if n.kind == "aggregator-source-status"]
    assert "config:DescribeConfigurationAggregatorSourcesStatus failed" in status.detail
    assert status.counts == {"buckets": len(NAMES)} and not status.affects_completeness


def test_items_older_than_max_age_are_read_live_in_full(endpoint: str) -> None:
    provider = AwsProvider.from_settings(inventory(endpoint, max_age="1h"))
    scopes = provider.scopes()
    assert provider._inventory is not None
    provider._inventory.now += timedelta(hours=2)  # moto's items are captured at creation
    buckets = [b for s in scopes for b in provider.buckets(s) if isinstance(b, Bucket)]
    notes = [n for s in scopes for n in provider.buckets(s) if isinstance(n, CoverageNote)]

    assert all(
        {"tags", "external_principals", "public_access.acl"} <= set(b.read_live) for b in buckets
    )
    [fallback] = [n for n in notes if n.kind == "inventory-fallback"]
    assert fallback.counts["reason.stale"] == len(NAMES)
    assert "older than max_age" in fallback.detail


def test_inventory_scan_makes_only_declared_reads_the_inventory_policy_grants(
    endpoint: str,
) -> None:
    recorder = Recorder()
    provider = AwsProvider.from_settings(inventory(endpoint), session_factory=recorder)
    read_provider(provider)

    made = recorder.operations()
    assert all(is_read_operation(op) or (svc, op) == ASSUME_ROLE for svc, op in made)
    assert made <= set(OPERATIONS)
    granted = {a for s in provider.permission_policy()["Statement"] for a in s["Action"]}
    assert {OPERATIONS[op] for op in made} - {None} <= granted
    assert "config:BatchGetAggregateResourceConfig" in granted
    # a live scan's policy does not grant the aggregator
    live = AwsProvider.from_settings(settings(endpoint)).permission_policy()
    assert not any(a.startswith("config:") for s in live["Statement"] for a in s["Action"])


def test_the_select_path_over_the_same_items_gives_the_same_findings(endpoint: str) -> None:
    """moto lacks SelectAggregateResourceConfig: its own items (BatchGet) are served as Select
    results through botocore's Stubber, decoded as Select returns them (objects, not strings)."""
    from botocore.stub import ANY, Stubber

    config = boto3.client("config", region_name="us-east-1", endpoint_url=endpoint)
    ids = config.list_aggregate_discovered_resources(
        ConfigurationAggregatorName=AGGREGATOR, ResourceType="AWS::S3::Bucket", Limit=100
    )["ResourceIdentifiers"]
    items = config.batch_get_aggregate_resource_config(
        ConfigurationAggregatorName=AGGREGATOR,
        ResourceIdentifiers=[{k: v for k, v in i.items() if k != "ResourceName"} for i in ids],
    )["BaseConfigurationItems"]
    rows = [
        json.dumps(
            {
                "resourceId": i["resourceId"],
                "resourceName": i["resourceName"],
                "accountId": i["accountId"],
                "awsRegion": i["awsRegion"],
                "configurationItemCaptureTime": i["configurationItemCaptureTime"].isoformat(),
                "configuration": json.loads(i["configuration"]),
                "supplementaryConfiguration": {
                    k: json.loads(v) for k, v in i["supplementaryConfiguration"].items()
                },
            }
        )
        for i in items
    ]
    provider = AwsProvider.from_settings(
        settings(endpoint, source="inventory", aggregator=AGGREGATOR)
    )
    stubber = Stubber(provider._base(provider.settings.partitions[0]).client("config", "us-east-1"))
    expected = {"ConfigurationAggregatorName": AGGREGATOR, "Expression": ANY, "Limit": 100}
    census = json.dumps({"accountId": "123456789012", "COUNT(*)": len(rows)})
    stubber.add_response("select_aggregate_resource_config", {"Results": [census]}, expected)
    stubber.add_response("select_aggregate_resource_config", {"Results": rows}, expected)
    stubber.activate()

    through = evaluated(provider)
    live = evaluated(AwsProvider.from_settings(settings(endpoint)))

    stubber.assert_no_pending_responses()
    assert {b.name for b in through.inventory.buckets} == NAMES
    assert {f.fingerprint for f in through.findings} == {f.fingerprint for f in live.findings}

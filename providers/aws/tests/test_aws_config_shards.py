"""scan --shard with source = "inventory": each shard takes its share of the aggregator's buckets,
and the shards together give exactly one unsharded inventory scan -- every bucket once, the same
locations and the same scope counts.

The estate (tests/data/inventory_estate.json: one account, five buckets) is split by bucket name
(shard_split below the account's bucket count), the case where a single large account is spread
over workers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from residency_audit.model import Bucket, Inventory, ScopeStatus
from residency_audit.scan import collect
from residency_audit.shard import ShardPlan, ShardSpec, merge_scopes
from residency_audit_aws import AwsProvider

from .conftest import Recorder
from .test_aws_config_source import NAMES, endpoint, inventory

__all__ = ["endpoint"]  # the module's moto_server with the aggregator, shared


def _bucket_reads(recorder: Recorder) -> Counter[tuple[str, str]]:
    """Per-bucket S3 reads other than locating a bucket (a replication destination is located
    by whichever shard reads its source)."""
    return Counter(
        (op, str(params["Bucket"]))
        for service, op, params in recorder.calls
        if service == "s3" and params.get("Bucket") and op != "GetBucketLocation"
    )


def _scan(url: str, shard: ShardPlan | None = None) -> tuple[Inventory, Recorder]:
    recorder = Recorder()
    provider = AwsProvider.from_settings(inventory(url), session_factory=recorder)
    return collect({"aws": provider}, shard=shard), recorder


@pytest.mark.parametrize("count", [2, 3])
def test_inventory_shards_cover_every_bucket_exactly_once(endpoint: str, count: int) -> None:
    whole, unsharded = _scan(endpoint)
    plans = [ShardPlan(ShardSpec(i, count), split=2) for i in range(count)]
    shards = [_scan(endpoint, plan) for plan in plans]

    seen = Counter(b.name for inv, _ in shards for b in inv.buckets)
    assert set(seen) == NAMES and set(seen.values()) == {1}
    assert all(len(inv.buckets) < len(NAMES) for inv, _ in shards)  # the work is shared
    # the shards together read each bucket's settings live exactly as often as one scan does:
    # no shard reads another's share
    assert sum((_bucket_reads(rec) for _, rec in shards), Counter()) == _bucket_reads(unsharded)
    # and each reads the aggregator for itself (one listing, one BatchGet)
    for _, rec in shards:
        config = [op for service, op, _ in rec.calls if service == "config"]
        assert config.count("ListAggregateDiscoveredResources") == 1

    by_uid: dict[str, Bucket] = {b.uid: b for inv, _ in shards for b in inv.buckets}
    for bucket in whole.buckets:
        assert by_uid[bucket.uid].locations == bucket.locations
        assert by_uid[bucket.uid].encryption == bucket.encryption
    merged = merge_scopes([plan.part() for plan in plans], count)
    assert [(s.scope, s.status, s.bucket_count) for s in merged] == [
        (s.scope, s.status, s.bucket_count) for s in whole.scopes
    ]
    assert all(s.status is ScopeStatus.COMPLETE for s in merged)


def test_a_missing_inventory_shard_leaves_the_scope_incomplete(endpoint: str) -> None:
    plans = [ShardPlan(ShardSpec(i, 2), split=2) for i in range(2)]
    _scan(endpoint, plans[0])  # shard 1 never ran
    merged = merge_scopes([plans[0].part()], 2)
    assert merged and all(s.status is not ScopeStatus.COMPLETE for s in merged)

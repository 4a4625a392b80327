"""Shards of a plugin that cannot split a scope (the core's fixture provider: no ShardAware) are
whole scopes, each collected by exactly one shard; recorded in SQLite or PostgreSQL and assembled,
they give the unsharded scan's findings and coverage. A retried shard replaces its earlier
attempt; `history prune` drops shard runs older than what it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from residency_audit.fixture_provider import FixtureProvider
from residency_audit.history import HistoryStore
from residency_audit.history.models import ShardBucket, ShardRun
from residency_audit.history.shards import ShardRuns, ShardsMissing
from residency_audit.model import Inventory
from residency_audit.plugins import ShardAware
from residency_audit.profiles import load_profile
from residency_audit.results import ScanResult
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import collect, evaluate_inventory
from residency_audit.shard import ShardPlan, ShardSpec

ESTATE = Path(__file__).resolve().parents[2] / "fixtures" / "estates" / "demo.json"
T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _provider() -> FixtureProvider:
    return FixtureProvider.from_settings({"path": str(ESTATE)})


def _evaluate(inventory: Inventory) -> ScanResult:
    settings = EvaluationSettings(today=T0.date())
    return evaluate_inventory(inventory, load_profile("jp-default"), settings)


def _shard(store: HistoryStore, group: str, spec: ShardSpec) -> int:
    runs = ShardRuns(store)
    runs.start(group, spec, T0)
    plan = ShardPlan(spec)
    inventory = collect({"fixture": _provider()}, shard=plan)
    return runs.finish(group, spec, plan.part(), inventory)


def test_whole_scope_shards_assemble_into_the_unsharded_scan(db_url: str) -> None:
    assert not isinstance(_provider(), ShardAware)
    whole = _evaluate(collect({"fixture": _provider()}))
    with HistoryStore.open(db_url) as store:
        counts = [_shard(store, "g1", ShardSpec(i, 3)) for i in range(3)]
        assembled = _evaluate(ShardRuns(store).assemble("g1"))
    assert sum(counts) == whole.scan.coverage.buckets == 16
    assert sorted(counts) != [0, 0, 16]  # the scopes were spread over the shards
    assert sorted(f.fingerprint for f in assembled.findings) == sorted(
        f.fingerprint for f in whole.findings
    )
    assert assembled.scan.coverage == whole.scan.coverage
    assert assembled.inventory.scopes == whole.inventory.scopes


def test_a_retried_shard_replaces_its_attempt_and_a_missing_one_is_named(db_url: str) -> None:
    with HistoryStore.open(db_url) as store:
        runs = ShardRuns(store)
        _shard(store, "g2", ShardSpec(0, 2))
        first = _shard(store, "g2", ShardSpec(0, 2))  # the Job's retry of index 0
        with pytest.raises(ShardsMissing, match=r"1 of 2 shards missing.*never started: 1"):
            runs.assemble("g2")
        runs.start("g2", ShardSpec(1, 2), T0)  # started, then killed
        with pytest.raises(ShardsMissing, match=r"never finished \(killed or still running\): 1"):
            runs.assemble("g2")
        with store.engine.connect() as conn:
            stored = conn.scalar(
                select(func.count()).select_from(ShardBucket).where(ShardBucket.shard_index == 0)
            )
        assert stored == first  # not twice


def test_prune_drops_shard_runs_older_than_the_cutoff(db_url: str) -> None:
    with HistoryStore.open(db_url) as store:
        _shard(store, "old", ShardSpec(0, 1))
        with store.engine.begin() as conn:
            conn.execute(ShardRun.__table__.update().values(started=T0 - timedelta(days=500)))
        _shard(store, "new", ShardSpec(0, 1))
        store.prune(older_than=timedelta(days=400), now=T0)
        with store.engine.connect() as conn:
            groups = set(conn.scalars(select(ShardRun.group_id)))
            left = conn.scalar(select(func.count()).select_from(ShardBucket))
        assert groups == {"new"} and left == 16
        assert ShardRuns(store).assemble("new").scopes

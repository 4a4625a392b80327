"""The shard plan (pure): shares are stable, disjoint and cover everything; a scope with more
buckets than shard_split is shared by bucket name; the shards' parts merge into the scope results
one unsharded run gives, and a missing share makes the scope incomplete, never complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.errors import InputError
from residency_audit.model import CoverageNote, ScopeResult, ScopeStatus
from residency_audit.shard import (
    SHARE_INTERSECT,
    SPLIT,
    UNKNOWN,
    WHOLE,
    ScopePart,
    ShardPart,
    ShardPlan,
    ShardSpec,
    merge_scopes,
    missing_shards,
    parse_shard,
    slot,
)

SCOPES = [f"{i:012d}" for i in range(1, 61)]


def plans(n: int, split: int = 100) -> list[ShardPlan]:
    return [ShardPlan(ShardSpec(i, n), split=split) for i in range(n)]


@pytest.mark.parametrize("text", ["0/1", "0/4", "3/4", " 2/3 "])
def test_parse_accepts_zero_based_index_below_count(text: str) -> None:
    spec = parse_shard(text)
    assert 0 <= spec.index < spec.count


@pytest.mark.parametrize("text", ["4/4", "1/0", "-1/4", "1", "a/b", "1/4/2", "1.0/4", ""])
def test_parse_rejects_anything_else(text: str) -> None:
    with pytest.raises(InputError, match="--shard"):
        parse_shard(text)


def test_slot_is_pinned_across_processes_and_versions() -> None:
    # a running group's shards must agree with each other whatever machine or Python runs them:
    # these values were computed once; a change here reshuffles every sharded deployment
    assert [slot(f"aws:{s}", 4) for s in SCOPES[:8]] == [0, 3, 3, 3, 2, 3, 0, 1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_every_scope_has_exactly_one_owner(n: int) -> None:
    group = plans(n)
    for scope in SCOPES:
        assert sum(p.owns_scope("aws", scope) for p in group) == 1
    if n > 1:  # not all on one shard
        assert (
            len({next(i for i, p in enumerate(group) if p.owns_scope("aws", s)) for s in SCOPES})
            > 1
        )


@pytest.mark.parametrize("n", [2, 4, 7])
def test_a_scope_over_shard_split_is_shared_by_bucket_exactly_once(n: int) -> None:
    names = [f"bucket-{i}" for i in range(1000)]
    shares = [p.share("aws", "111111111111", len(names)) for p in plans(n, split=999)]
    assert all(s.split for s in shares)
    owners = [[s.owns(name) for s in shares].count(True) for name in names]
    assert owners == [1] * len(names)
    per_shard = [sum(s.owns(name) for name in names) for s in shares]
    assert min(per_shard) > 1000 / n / 2  # spread, not piled on one shard


def test_a_scope_at_shard_split_stays_whole_with_its_owner() -> None:
    group = plans(4, split=1000)
    shares = [p.share("aws", "111111111111", 1000) for p in group]
    assert not any(s.split for s in shares)
    owner = [p.owns_scope("aws", "111111111111") for p in group]
    assert [s.owns("any-bucket") for s in shares] == owner
    assert owner.count(True) == 1


def test_keep_drops_scopes_the_shard_owned_nothing_of() -> None:
    owner, other = sorted(plans(2), key=lambda p: not p.owns_scope("aws", "A"))
    done = ScopeResult(provider="aws", scope="A", bucket_count=3)
    failed = ScopeResult(provider="aws", scope="A", status=ScopeStatus.FAILED, error="denied")
    assert owner.keep(done, shard_aware=False) and not other.keep(done, shard_aware=False)
    # a shard-aware plugin that failed before listing cannot know its share: kept, as unknown
    assert other.keep(failed, shard_aware=True)
    assert other.part().scopes[-1].mode == UNKNOWN
    other.share("aws", "B", 10_000)  # split: every shard reports its share
    assert other.keep(ScopeResult(provider="aws", scope="B"), shard_aware=True)
    assert other.part().scopes[-1].mode == SPLIT


def _note(kind: str, detail: str, **counts: int) -> CoverageNote:
    return CoverageNote(kind=kind, detail=detail, counts=counts)


def test_split_shares_merge_into_the_unsharded_result() -> None:
    backup = _note("backup-unreadable", "account A, eu-west-1: denied")
    regions = [["af-south-1", "ap-east-1", "me-south-1"], ["af-south-1", "me-south-1"]]
    parts = [
        ShardPart(
            i,
            (("aws", "A"),),
            (
                ScopePart(
                    ScopeResult(
                        provider="aws",
                        scope="A",
                        bucket_count=10 + i,
                        notes=(
                            backup,
                            _note(
                                "region-not-enabled",
                                f"account A: regions not enabled: {', '.join(regions[i])}",
                                **{SHARE_INTERSECT: 1},
                                **dict.fromkeys(regions[i], 1),
                            ),
                        ),
                    ),
                    SPLIT,
                ),
            ),
        )
        for i in range(2)
    ]
    [merged] = merge_scopes(parts, 2)
    assert merged.status is ScopeStatus.COMPLETE
    assert merged.bucket_count == 21
    # each share leaves out its own buckets' regions: the scope names those no share used
    assert merged.notes == (
        backup,
        _note("region-not-enabled", "account A: regions not enabled: af-south-1, me-south-1"),
    )


def test_a_missing_share_of_a_split_scope_makes_it_incomplete_naming_the_shard() -> None:
    share = ScopePart(ScopeResult(provider="aws", scope="A", bucket_count=5), SPLIT)
    failed = ScopePart(
        ScopeResult(provider="aws", scope="A", status=ScopeStatus.FAILED, error="throttled"),
        UNKNOWN,
    )
    seen = (("aws", "A"),)
    [merged] = merge_scopes(
        [ShardPart(0, seen, (share,)), ShardPart(1, seen, (failed,)), ShardPart(2, (), ())], 3
    )
    assert merged.status is ScopeStatus.INCOMPLETE
    details = [n.detail for n in merged.notes if n.kind == "shard-missing"]
    assert details == [
        "shard 1 could not list it: throttled; that shard's share of the buckets is missing",
        "shard 2 did not list this scope; that shard's share of the buckets is missing",
    ]
    assert all(n.affects_completeness for n in merged.notes)


def test_whole_scopes_come_from_their_owner_and_an_unlisted_one_fails() -> None:
    a = ScopeResult(provider="aws", scope="A", bucket_count=2)
    failed_elsewhere = ScopeResult(provider="aws", scope="A", status=ScopeStatus.FAILED, error="x")
    seen = (("aws", "A"), ("aws", "B"))
    merged = merge_scopes(
        [
            ShardPart(0, seen, (ScopePart(a, WHOLE),)),
            ShardPart(1, seen, (ScopePart(failed_elsewhere, UNKNOWN),)),
        ],
        2,
    )
    assert merged[0] == a  # the owner read it whole; a failure elsewhere was no share of it
    assert merged[1].scope == "B" and merged[1].status is ScopeStatus.FAILED
    assert "no shard collected" in (merged[1].error or "")


def test_shards_that_disagree_on_the_split_make_the_scope_incomplete() -> None:
    seen = (("aws", "A"),)
    whole = ScopePart(ScopeResult(provider="aws", scope="A", bucket_count=5000), WHOLE)
    split = ScopePart(ScopeResult(provider="aws", scope="A", bucket_count=2500), SPLIT)
    [merged] = merge_scopes([ShardPart(0, seen, (whole,)), ShardPart(1, seen, (split,))], 2)
    assert merged.status is ScopeStatus.INCOMPLETE
    assert "disagreed" in merged.notes[-1].detail


def test_missing_shards_lists_every_index_not_finished() -> None:
    assert missing_shards(4, [0, 3]) == [1, 2]
    assert missing_shards(2, [1, 0]) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--shard", "4/4", "--scan-group", "g"], "--shard: '4/4'"),
        (["--shard", "a/b", "--scan-group", "g"], "is not I/N"),
        (["--scan-group", "g"], "--scan-group is for --shard"),
        (["--shard", "0/2"], "--shard needs --scan-group"),
        (["--shard", "0/2", "--scan-group", "g", "--no-history"], "drop --no-history"),
        (["--shard", "0/2", "--scan-group", "g", "--new-only"], "give them to `assemble`"),
        (["--shard", "0/2", "--scan-group", "two words"], "--scan-group: 'two words'"),
    ],
)
def test_scan_refuses_a_bad_shard_request_before_anything_runs(
    args: list[str], says: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["scan", "--provider", "aws", "-o", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert not any(tmp_path.iterdir())  # nothing written, no history made


def test_assemble_without_a_history_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = CliRunner().invoke(
        cli, ["assemble", "--scan-group", "g", "--history", str(missing), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "no scan history" in result.output
    assert not (tmp_path / "o").exists()

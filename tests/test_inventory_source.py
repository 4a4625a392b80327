"""The pieces every inventory-service source shares: max_age, the fallback tally and its coverage
note, the verification sample and what counts as a disagreement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from residency_audit.inventory_source import (
    Fallback,
    disagreement_note,
    disagreements,
    parse_max_age,
    sample,
    source_note,
    stale,
)
from residency_audit.model import Bucket, Encryption, EncryptionTier, Gap, Location, Role

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("3600s", timedelta(hours=1)),
        (600, timedelta(minutes=10)),
    ],
)
def test_max_age_reads_durations(text: str | int, expected: timedelta) -> None:
    assert parse_max_age(text) == expected


@pytest.mark.parametrize("bad", ["24", "1w", "-1h", "0h", "", True, 0])
def test_max_age_refuses_what_is_not_a_duration(bad: str | int) -> None:
    with pytest.raises(ValueError, match="max_age"):
        parse_max_age(bad)


def test_a_record_without_capture_time_or_older_than_max_age_is_stale() -> None:
    day = timedelta(hours=24)
    assert stale(None, NOW, day)
    assert stale(NOW - timedelta(hours=25), NOW, day)
    assert not stale(NOW - timedelta(hours=23), NOW, day)


def test_the_fallback_note_counts_buckets_settings_and_reasons() -> None:
    tally = Fallback("AWS Config aggregator 'org'")
    assert tally.note(10) is None
    tally.record("b1", ["replication", "encryption"], "stale")
    tally.record("b2", ["replication"], "not-recorded")
    tally.record("b2", ["tags"], "absent")
    tally.record("b3", [], "stale")  # nothing read live: not counted
    note = tally.note(10)
    assert note is not None and note.kind == "inventory-fallback"
    assert note.counts["buckets"] == 2 and note.counts["buckets_total"] == 10
    assert note.counts["field.replication"] == 2 and note.counts["reason.stale"] == 1
    assert note.detail.startswith("2 of 10 buckets had settings read live instead of from AWS")
    assert "older than max_age: 1 buckets" in note.detail


def test_the_source_note_says_how_many_and_when() -> None:
    note = source_note("Azure Resource Graph", 3, [NOW - timedelta(hours=2), NOW])
    assert note.counts == {"buckets": 3}
    assert "3 buckets read from Azure Resource Graph, captured 2026-12-02T01:00:00" in note.detail


def test_the_sample_is_random_reproducible_and_bounded() -> None:
    uids = [f"b{i}" for i in range(100)]
    first = sample(uids, 5, seed=7)
    assert first == sample(reversed(uids), 5, seed=7) and len(first) == 5
    assert sample(uids, 5, seed=8) != first
    assert sample(uids[:3], 5) == ["b0", "b1", "b2"]
    assert sample(uids, 0) == []


def bucket(**kw: object) -> Bucket:
    base: dict[str, object] = {
        "provider": "aws",
        "scope": "1",
        "name": "drawings",
        "uid": "arn:aws:s3:::drawings",
        "locations": (
            Location(
                role=Role.PRIMARY,
                provider="aws",
                region="ap-northeast-1",
                mechanism="bucket-region",
            ),
        ),
    }
    base.update(kw)
    return Bucket.model_validate(base)


def test_a_replica_the_inventory_missed_is_a_disagreement_named_in_a_note() -> None:
    inventory = bucket()
    live = bucket(
        locations=(
            *inventory.locations,
            Location(
                role=Role.REPLICA,
                provider="aws",
                region="ap-east-1",
                mechanism="s3-replication",
                target="drawings-hk",
            ),
        )
    )
    (d,) = disagreements(inventory, live)
    assert d.field == "locations" and "ap-east-1" in d.live and "ap-east-1" not in d.inventory
    note = disagreement_note(d, "AWS Config")
    assert note.kind == "inventory-disagreement" and "bucket drawings: locations" in note.detail


def test_settings_the_live_read_could_not_read_are_not_disagreements() -> None:
    inventory = bucket(encryption=Encryption(tier=EncryptionTier.CUSTOMER_MANAGED, key_id="k"))
    live = bucket(gaps=(Gap(field="encryption", reason="AccessDenied"),))
    assert disagreements(inventory, live) == []
    unread_replication = bucket(gaps=(Gap(field="replication", reason="AccessDenied"),))
    assert disagreements(bucket(locations=()), unread_replication) == []
    assert [d.field for d in disagreements(bucket(tags={"a": "1"}), bucket())] == ["tags"]


def test_the_scan_coverage_counts_inventory_buckets_and_disagreements() -> None:
    from residency_audit.model import CoverageNote, Inventory, ScopeResult
    from residency_audit.scan import _Tally

    tally = _Tally()
    tally.add(bucket())  # read live
    tally.add(bucket(uid="u2", captured=NOW))
    tally.add(bucket(uid="u3", captured=NOW, read_live=("replication",)))
    note = CoverageNote(kind="inventory-disagreement", detail="bucket x", counts={"buckets": 1})
    inventory = Inventory(scopes=(ScopeResult(provider="aws", scope="1", notes=(note,)),))
    cov = tally.coverage(inventory)
    assert (cov.buckets, cov.buckets_from_inventory, cov.buckets_read_live_instead) == (3, 2, 1)
    assert cov.inventory_disagreements == 1


def test_the_report_says_how_many_buckets_came_from_an_inventory_service() -> None:
    from residency_audit.model import CoverageNote, ScopeResult
    from residency_audit.report.html import render_html
    from tests.report_builders import _evaluate, demo_inventory

    inventory = demo_inventory()
    buckets = list(inventory.buckets)
    buckets[0] = buckets[0].model_copy(update={"captured": NOW, "read_live": ("replication",)})
    buckets[1] = buckets[1].model_copy(update={"captured": NOW})
    note = CoverageNote(
        kind="inventory-disagreement", detail="bucket x: tags", counts={"buckets": 1}
    )
    scopes = (*inventory.scopes, ScopeResult(provider="aws", scope="extra", notes=(note,)))
    result = _evaluate(inventory.model_copy(update={"buckets": tuple(buckets), "scopes": scopes}))
    cov = result.scan.coverage
    assert (cov.buckets_from_inventory, cov.buckets_read_live_instead) == (2, 1)
    html = render_html(result, "ja")
    row = "Buckets read from an inventory service</span></th><td>2 ("
    assert row in html
    assert "some settings read live instead</span> 1 /" in html
    assert "disagreements with a live read</span> 1)" in html
    assert "インベントリと直接読み取りの不一致" in html  # the scope note's kind, worded
    plain = render_html(_evaluate(demo_inventory()), "en")
    assert row[:-4] not in plain  # the row is shown only when a source was used

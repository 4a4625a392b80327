"""Revision 0004: a scan counts only once its reports were delivered, and every distinct bucket
or finding is stored once. Each test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from residency_audit.history import HistoryStore
from residency_audit.history.engine import alembic_config, current_revision, write_transaction
from residency_audit.history.models import JsonDocument, ScanBucket
from residency_audit.model import Finding, FindingState, ScopeStatus
from residency_audit.results import ScanResult

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def documents(store: HistoryStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(JsonDocument)) or 0)


def test_a_scan_never_delivered_is_not_what_the_next_one_compares_with(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    a, b = finding("bucket-a"), finding("bucket-b")
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", [a], started=day(0)))
        shown = store.begin(result("scan-2", [a, b], started=day(1)))  # reports never delivered
        assert [f.state for f in shown.result.findings] == [
            FindingState.PERSISTING,
            FindingState.NEW,
        ]
        listed = {s.id: s.delivered for s in store.list_scans()}
        assert listed == {"scan-1": True, "scan-2": False}
        assert store.resolve_id("latest") == "scan-1"

        third = store.record(result("scan-3", [a, b], started=day(2)))
        assert third.previous_scan_id == "scan-1"
        states = {f.resource.name: f.state for f in third.findings if f.resource}
        # bucket-b was only in a report nobody received: it is still new, never "persisting"
        assert states == {"bucket-a": FindingState.PERSISTING, "bucket-b": FindingState.NEW}
        assert store.earlier_scan("scan-3") == "scan-1"
        assert store.diff("scan-1", "scan-3").new[0].fingerprint == b.fingerprint
        track = store.finding_history(b.fingerprint)
        assert track is not None and track.first_scan_id == "scan-3"


def test_delivering_after_another_scan_moves_the_history_on_from_that_one(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    a, b = finding("bucket-a"), finding("bucket-b")
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", [a], started=day(0)))
        slow = store.begin(result("scan-2", [a, b], started=day(1)))
        aws = {("aws", "111111111111"): ScopeStatus.COMPLETE}
        store.record(
            result("scan-3", [], started=day(2), scopes=aws)
        )  # resolves a, delivered first
        assert store.finding_history(a.fingerprint).open is False  # type: ignore[union-attr]
        store.deliver(slow)
        store.deliver(slow)  # a second delivery changes nothing
        a_track, b_track = (
            store.finding_history(a.fingerprint),
            store.finding_history(b.fingerprint),
        )
        assert a_track is not None and b_track is not None
        assert (
            a_track.open and a_track.last_scan_id == "scan-2"
        )  # back: the latest delivered says so
        assert b_track.open and b_track.first_scan_id == "scan-2"
        assert b_track.finding is not None and b_track.finding.fingerprint == b.fingerprint
        assert [s.delivered for s in store.list_scans()] == [True, True, True]


def test_an_unchanged_bucket_is_stored_once_and_pruning_drops_what_nothing_uses(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    findings = [finding(f"bucket-{i}") for i in range(20)]
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", findings, started=day(0)))
        stored = documents(store)
        assert stored == 40  # 20 buckets, 20 findings
        store.record(result("scan-2", findings, started=day(1)))
        assert documents(store) == stored  # unchanged estate: references only
        changed = result("scan-3", findings, started=day(2))
        first = changed.inventory.buckets[0]
        retagged = first.model_copy(update={"tags": {"owner": "platform-team"}})
        changed = changed.model_copy(
            update={
                "inventory": changed.inventory.model_copy(
                    update={"buckets": (retagged, *changed.inventory.buckets[1:])}
                )
            }
        )
        store.record(changed)
        assert documents(store) == stored + 1  # the one bucket that changed

        assert store.prune(keep=1) == ["scan-2", "scan-1"]
        assert documents(store) == stored  # the old version of that bucket went with its scans
        kept = store.get_scan("scan-3")
        assert kept.inventory.buckets[0].tags == {"owner": "platform-team"}
        assert [f.fingerprint for f in kept.findings] == [f.fingerprint for f in findings]
        with store.engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(ScanBucket)) == 20


def test_revision_0004_converts_a_0003_history_and_back(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    a, b = finding("bucket-a"), finding("bucket-b")
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", [a, b], started=day(0)))
        store.record(result("scan-2", [b], started=day(1)))
        before = [store.get_scan(s) for s in ("scan-1", "scan-2")]
        with write_transaction(store.engine, "downgrading", store._url, migrating=True) as conn:
            command.downgrade(alembic_config(conn), "0003")
        assert current_revision(store.engine) == "0003"
        inspector = sa.inspect(store.engine)
        assert "json_documents" not in inspector.get_table_names()
        assert "data" in {c["name"] for c in inspector.get_columns("scan_buckets")}
        with store.engine.connect() as conn:  # what 0003 holds: every row its own full JSON
            stored = conn.execute(sa.text("SELECT data FROM scan_findings ORDER BY row_id")).all()
        assert len(stored) == 4  # scan-1: a, b; scan-2: b and a resolved
    with HistoryStore.open(db_url) as store:  # upgrades to the head again
        assert current_revision(store.engine) == "0005"
        assert [store.get_scan(s) for s in ("scan-1", "scan-2")] == before
        assert documents(store) == 4  # two buckets, two findings: each once
        assert all(s.delivered for s in store.list_scans())  # recorded by the old flow: delivered
        nxt = store.record(result("scan-3", [a, b], started=day(2)))
        assert {f.resource.name: f.state for f in nxt.findings if f.resource} == {
            "bucket-a": FindingState.REOPENED,
            "bucket-b": FindingState.PERSISTING,
        }
        assert documents(store) == 4  # the converted documents are the ones a new scan names


def test_prune_keeps_the_last_delivered_scans_whatever_was_killed_after_them(
    db_url: str, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a")
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", [a], started=day(0)))
        store.record(result("scan-2", [a], started=day(1)))
        store.begin(result("scan-3", [a], started=day(2)))  # killed before delivery
        assert store.prune(keep=1) == ["scan-1"]
        assert [(s.id, s.delivered) for s in store.list_scans()] == [
            ("scan-3", False),
            ("scan-2", True),
        ]
        assert store.resolve_id("latest") == "scan-2"

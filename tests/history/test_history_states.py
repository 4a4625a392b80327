"""Consecutive scans over a changing estate: every finding state; when resolution is withheld."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from residency_audit.history import HistoryError, HistoryStore, ScanNotFoundError, fails
from residency_audit.model import (
    Finding,
    FindingState,
    Gap,
    Hidden,
    ScopeStatus,
    Severity,
)
from residency_audit.results import ScanResult

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
T1, T2, T3 = T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=3)
AWS = ("aws", "111111111111")
GCP = ("gcp", "prod-project")

MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]


def states(result: ScanResult) -> dict[str, FindingState | None]:
    named = {f.resource.name: f.state for f in result.findings if f.resource}
    named.update({f.resource.name: f.state for f in result.resolved if f.resource})
    return named


@pytest.fixture
def store(db_url: str) -> Iterator[HistoryStore]:
    with HistoryStore.open(db_url) as s:
        yield s


def test_two_scans_new_persisting_resolved(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    a, b, c = finding("bucket-a"), finding("bucket-b"), finding("bucket-c")
    first = store.record(result("scan-1", [a, b], started=T0))
    assert states(first) == {"bucket-a": "new", "bucket-b": "new"}
    assert first.previous_scan_id is None and first.resolved == ()
    assert all(f.first_seen == T0 == f.last_seen for f in first.findings)

    second = store.record(result("scan-2", [b, c], started=T1))
    assert second.previous_scan_id == "scan-1"
    assert states(second) == {
        "bucket-a": FindingState.RESOLVED,
        "bucket-b": FindingState.PERSISTING,
        "bucket-c": FindingState.NEW,
    }
    persisting = next(f for f in second.findings if f.fingerprint == b.fingerprint)
    assert (persisting.first_seen, persisting.last_seen) == (T0, T1)
    (gone,) = second.resolved
    assert gone.fingerprint == a.fingerprint
    assert gone.last_seen == T0  # when it was last there, not when we noticed it gone


def test_three_scans_show_every_state_and_reopened_keeps_first_seen(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    a, b, c = finding("bucket-a"), finding("bucket-b"), finding("bucket-c")
    store.record(result("scan-1", [a, b], started=T0))
    store.record(result("scan-2", [b, c], started=T1))
    third = store.record(result("scan-3", [a, c], started=T2))
    assert states(third) == {
        "bucket-a": FindingState.REOPENED,
        "bucket-b": FindingState.RESOLVED,
        "bucket-c": FindingState.PERSISTING,
    }
    reopened = next(f for f in third.findings if f.fingerprint == a.fingerprint)
    assert (reopened.first_seen, reopened.last_seen) == (T0, T2)
    assert {s.id: (s.new, s.reopened, s.resolved) for s in store.list_scans()} == {
        "scan-3": (0, 1, 1),
        "scan-2": (1, 0, 1),
        "scan-1": (2, 0, 0),
    }
    assert [s.id for s in store.list_scans()] == ["scan-3", "scan-2", "scan-1"]


def test_incomplete_or_failed_scope_resolves_nothing(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a")
    g = finding("bucket-g", provider="gcp", scope="prod-project")
    store.record(result("scan-1", [a, g], started=T0))
    # AWS partly unreadable, GCP not listable at all: both findings are simply not in this scan
    partial = store.record(
        result(
            "scan-2", [], started=T1, scopes={AWS: ScopeStatus.INCOMPLETE, GCP: ScopeStatus.FAILED}
        )
    )
    assert partial.resolved == ()
    # a scan that did not cover a scope at all does not resolve it either
    other = store.record(result("scan-3", [], started=T2, scopes={("azure", "sub-1"): "complete"}))
    assert other.resolved == ()
    # once AWS is read completely again: a is still there -> persisting since T0, g resolved
    full = store.record(
        result("scan-4", [a], started=T3, scopes={AWS: "complete", GCP: "complete"})
    )
    assert states(full) == {"bucket-a": FindingState.PERSISTING, "bucket-g": FindingState.RESOLVED}
    assert full.findings[0].first_seen == T0


def test_unreadable_setting_that_may_hide_a_copy_withholds_resolution(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a")
    store.record(result("scan-1", [a], started=T0))
    gap = Gap(
        field="replication", reason="AccessDenied", error_code="AccessDenied", hides=(Hidden.COPY,)
    )
    assert a.resource is not None
    blind = store.record(
        result("scan-2", [], started=T1, scopes={AWS: "complete"}, gaps={a.resource.uid: [gap]})
    )
    assert blind.resolved == ()
    fixed = store.record(result("scan-3", [], started=T2, scopes={AWS: "complete"}))
    assert [f.fingerprint for f in fixed.resolved] == [a.fingerprint]


def test_recorded_scan_reads_back_as_returned(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    store.record(result("scan-1", [finding("bucket-a"), finding("bucket-b")], started=T0))
    returned = store.record(result("scan-2", [finding("bucket-b")], started=T1))
    again = store.get_scan("scan-2")
    assert again.model_dump(mode="json") == returned.model_dump(mode="json")
    assert again.inventory == returned.inventory  # inventory is kept, untrusted tags verbatim
    assert store.get_scan("latest").scan.id == "scan-2"
    assert store.get_scan("latest~1").scan.id == "scan-1"
    with pytest.raises(ScanNotFoundError, match="ambiguous"):
        store.resolve_id("scan-")
    with pytest.raises(ScanNotFoundError):
        store.get_scan("nope")


def test_same_scan_twice_is_refused_and_changes_nothing(
    store: HistoryStore, finding: MakeF, result: MakeR
) -> None:
    res = result("scan-1", [finding("bucket-a")], started=T0)
    store.record(res)
    with pytest.raises(HistoryError, match="already recorded"):
        store.record(res)
    assert store.scan_count() == 1


def test_diff_between_any_two_scans(store: HistoryStore, finding: MakeF, result: MakeR) -> None:
    a, b, c = finding("bucket-a"), finding("bucket-b"), finding("bucket-c")
    g = finding("bucket-g", provider="gcp", scope="prod-project")
    store.record(result("scan-1", [a, b, g], started=T0))
    store.record(
        result("scan-2", [b, c], started=T1, scopes={AWS: "complete", GCP: ScopeStatus.FAILED})
    )
    d = store.diff("scan-1", "scan-2")
    assert [f.fingerprint for f in d.new] == [c.fingerprint]
    assert [f.fingerprint for f in d.resolved] == [a.fingerprint]
    assert [f.fingerprint for f in d.unconfirmed] == [g.fingerprint]  # GCP failed: not a fix
    assert [f.fingerprint for f in d.persisting] == [b.fingerprint]
    back = store.diff("scan-2", "scan-1")
    assert {f.fingerprint for f in back.new} == {a.fingerprint, g.fingerprint}


def test_prune_keeps_first_seen(store: HistoryStore, finding: MakeF, result: MakeR) -> None:
    a = finding("bucket-a")
    for i, started in enumerate((T0, T1, T2)):
        store.record(result(f"scan-{i}", [a], started=started))
    assert store.prune(keep=1) == ["scan-1", "scan-0"]
    assert [s.id for s in store.list_scans()] == ["scan-2"]
    later = store.record(result("scan-3", [a], started=T3))
    assert later.findings[0].state is FindingState.PERSISTING
    assert later.findings[0].first_seen == T0
    assert store.prune(older_than=timedelta(days=1), now=T3 + timedelta(hours=12)) == ["scan-2"]
    with pytest.raises(HistoryError):
        store.prune(keep=0)


@pytest.mark.parametrize(
    ("threshold", "new_only", "expected"),
    [
        (Severity.HIGH, False, True),
        (Severity.CRITICAL, False, False),
        (Severity.HIGH, True, False),  # the high one persists; only the low one is new
        (Severity.LOW, True, True),
    ],
)
def test_fail_on_new_only(
    store: HistoryStore,
    finding: MakeF,
    result: MakeR,
    threshold: Severity,
    new_only: bool,
    expected: bool,
) -> None:
    high = finding("bucket-a", severity=Severity.HIGH)
    store.record(result("scan-1", [high], started=T0))
    low = finding("bucket-b", severity=Severity.LOW)
    second = store.record(result("scan-2", [high, low], started=T1))
    assert fails(second, threshold, new_only) is expected


def test_fail_on_without_history_counts_everything_as_new(finding: MakeF, result: MakeR) -> None:
    res = result("scan-1", [finding("bucket-a", severity=Severity.MEDIUM)])
    assert fails(res, Severity.MEDIUM, new_only=True)
    assert not fails(res, Severity.HIGH, new_only=True)

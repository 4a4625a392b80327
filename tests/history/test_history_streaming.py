"""Recording a scan whose findings and buckets are on disk (issue 14, part 4): the history reads
them in a bounded number of passes, writes the annotated findings back to disk, and never holds
every finding as an object -- with the same states, counts and rows as a scan held in memory."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from residency_audit.history import (
    HistoryStore,
    Suppression,
    Suppressions,
    Track,
    apply_suppressions,
)
from residency_audit.model import Bucket, Finding, FindingState, Gap, Hidden, ScopeStatus
from residency_audit.results import ScanResult
from residency_audit.spill import Spill, SpillWriter
from tests.history.conftest import T0, make_finding, make_result

SUPPRESSIONS = Suppressions(
    items=(
        Suppression(
            id="dr-copy",
            fingerprint=make_finding("bucket-5").fingerprint,
            reason="approved DR copy",
            approved_by="k.tanaka@example.co.jp",
            expires=date(2026, 12, 31),
        ),
        Suppression(
            id="gone",
            fingerprint="0" * 64,
            reason="the bucket was deleted",
            approved_by="k.tanaka@example.co.jp",
            expires=date(2026, 12, 31),
        ),
    )
)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def on_disk(res: ScanResult) -> ScanResult:
    """``res`` with its findings and buckets in Spills, as a large scan gives them."""
    findings, buckets = SpillWriter(Finding), SpillWriter(Bucket)
    findings.extend(res.findings)
    buckets.extend(res.inventory.buckets)
    inventory = res.inventory.model_copy(update={"buckets": buckets.finish()})
    return res.model_copy(update={"findings": findings.finish(), "inventory": inventory})


def first_scan(n: int) -> ScanResult:
    return make_result("scan-1", [make_finding(f"bucket-{i}") for i in range(n)], started=day(0))


def second_scan(n: int) -> ScanResult:
    """bucket-1 gone (its finding resolves); bucket-3 there without its finding, but with a
    setting that could not be read (its finding stays open); bucket-2 reported twice; a new one."""
    names = [f"bucket-{i}" for i in range(n) if i not in (1, 3)] + ["bucket-2", "bucket-new"]
    unread = Gap(field="replication", reason="AccessDenied", hides=(Hidden.COPY,))
    return make_result(
        "scan-2",
        [make_finding(b) for b in names],
        started=day(1),
        gaps={"arn:aws:s3:::bucket-3": [unread]},
    )


@dataclass
class Parses:
    """How many times each model was parsed from JSON (what a pass over a Spill costs), and the
    most Finding objects alive above ``baseline`` whenever ``sample_every`` findings were parsed."""

    counts: Counter[str] = field(default_factory=Counter)
    sample_every: int = 0
    baseline: int = 0
    peak: int = 0

    def passes(self, model: type[Any], items: Sequence[Any]) -> float:
        return self.counts[model.__name__] / len(items)


def live_findings() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Finding))


@contextmanager
def counting_parses(*, sample_every: int = 0) -> Iterator[Parses]:
    """Count every Finding and Bucket parsed from JSON (and sample the live findings)."""
    parses = Parses(sample_every=sample_every, baseline=live_findings() if sample_every else 0)

    def counting(model: type[Any]) -> Callable[..., Any]:
        parse = model.model_validate_json

        def validate_json(data: Any, *args: Any, **kwargs: Any) -> Any:
            parses.counts[model.__name__] += 1
            every = parses.sample_every
            if model is Finding and every and parses.counts["Finding"] % every == 0:
                parses.peak = max(parses.peak, live_findings() - parses.baseline)
            return parse(data, *args, **kwargs)

        return validate_json

    with pytest.MonkeyPatch.context() as patch:
        for model in (Finding, Bucket):
            patch.setattr(model, "model_validate_json", counting(model))
        yield parses


def record_both(tmp_path: Path, n: int) -> tuple[tuple[ScanResult, ...], tuple[ScanResult, ...]]:
    """The same two scans recorded into two histories: held in memory, and on disk."""
    out: dict[str, tuple[ScanResult, ...]] = {}
    for kind, convert in (("memory", lambda r: r), ("disk", on_disk)):
        with HistoryStore.open(f"sqlite:///{tmp_path / kind / 'history.db'}") as store:
            out[kind] = tuple(
                store.record(convert(res), suppressions=SUPPRESSIONS, now=day(i))
                for i, res in enumerate((first_scan(n), second_scan(n)))
            )
    return out["memory"], out["disk"]


def test_a_scan_on_disk_is_recorded_with_the_same_states_counts_and_rows(tmp_path: Path) -> None:
    memory, disk = record_both(tmp_path, 40)
    for held, spilled in zip(memory, disk, strict=True):
        assert isinstance(spilled.findings, Spill)  # the annotated findings stay on disk
        assert isinstance(held.findings, tuple)
        assert tuple(spilled.findings) == held.findings
        assert spilled.resolved == held.resolved
        assert spilled.stale_suppressions == held.stale_suppressions == ("gone",)
        assert spilled.previous_scan_id == held.previous_scan_id
    second = {(f.resource.name if f.resource else ""): f for f in disk[1].findings}
    assert second["bucket-0"].state is FindingState.PERSISTING
    assert second["bucket-0"].first_seen == day(0) and second["bucket-0"].last_seen == day(1)
    assert second["bucket-new"].state is FindingState.NEW
    assert second["bucket-5"].suppression is not None
    assert second["bucket-5"].suppression.id == "dr-copy"
    assert [f.resource.name for f in disk[1].resolved if f.resource] == ["bucket-1"]
    assert disk[1].resolved[0].state is FindingState.RESOLVED

    with (
        HistoryStore.open(f"sqlite:///{tmp_path / 'memory' / 'history.db'}") as a,
        HistoryStore.open(f"sqlite:///{tmp_path / 'disk' / 'history.db'}") as b,
    ):
        assert a.list_scans() == b.list_scans()
        summary = b.list_scans()[0]
        assert (summary.findings, summary.new, summary.resolved, summary.suppressed) == (
            40,
            1,
            1,
            1,
        )
        for scan_id in ("scan-1", "scan-2"):
            assert a.get_scan(scan_id) == b.get_scan(scan_id)
        gone = make_finding("bucket-1").fingerprint
        assert b.finding_history(gone) == a.finding_history(gone)
        assert b.finding_history(gone).open is False  # type: ignore[union-attr]
        unread = make_finding("bucket-3").fingerprint  # absent, but its bucket may hide a copy
        assert b.finding_history(unread) == a.finding_history(unread)
        assert b.finding_history(unread).open is True  # type: ignore[union-attr]
        for f in memory[1].findings:
            assert b.finding_history(f.fingerprint) == a.finding_history(f.fingerprint)


def test_recording_reads_the_findings_twice_and_the_buckets_once(tmp_path: Path) -> None:
    with HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}") as store:
        store.record(on_disk(first_scan(300)), suppressions=SUPPRESSIONS, now=day(0))
        scan = on_disk(second_scan(300))
        with counting_parses() as parses:
            pending = store.begin(scan, suppressions=SUPPRESSIONS, now=day(1))
        # at least one pass was seen (the counter works), never more than the budget
        assert 1 <= parses.passes(Finding, scan.findings) <= 2
        assert parses.passes(Bucket, scan.inventory.buckets) == 1
        with counting_parses() as parses:
            store.deliver(pending)
        assert parses.passes(Finding, scan.findings) == 0
        assert store.list_scans()[0].delivered


def test_delivering_after_another_scan_judges_again_without_rereading_more_than_once(
    tmp_path: Path,
) -> None:
    """The same history as the in-memory scan gives when another scan is delivered first."""
    tracks: dict[str, list[Track | None]] = {}
    for kind, convert in (("memory", lambda r: r), ("disk", on_disk)):
        with HistoryStore.open(f"sqlite:///{tmp_path / kind / 'history.db'}") as store:
            store.record(convert(first_scan(30)), now=day(0))
            slow_scan = convert(second_scan(30))
            slow = store.begin(slow_scan, suppressions=SUPPRESSIONS, now=day(1))
            aws = {("aws", "111111111111"): ScopeStatus.COMPLETE}
            store.record(make_result("scan-3", [], started=day(2), scopes=aws), now=day(2))
            with counting_parses() as parses:
                store.deliver(slow)
            assert parses.passes(Finding, slow_scan.findings) <= 1
            names = ["bucket-0", "bucket-1", "bucket-2", "bucket-5", "bucket-new"]
            tracks[kind] = [store.finding_history(make_finding(b).fingerprint) for b in names]
    assert tracks["disk"] == tracks["memory"]
    back, gone = tracks["disk"][0], tracks["disk"][1]
    assert back is not None and back.open and back.last_scan_id == "scan-2"
    assert gone is not None and not gone.open and gone.resolved_scan_id == "scan-3"


def test_recording_keeps_few_findings_alive_at_once(tmp_path: Path) -> None:
    n = 3000
    with HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}") as store:
        store.record(on_disk(first_scan(n)), suppressions=SUPPRESSIONS, now=day(0))
        scan = on_disk(second_scan(n))
        gc.collect()
        with counting_parses(sample_every=250) as parses:
            pending = store.begin(scan, suppressions=SUPPRESSIONS, now=day(1))
            held = live_findings() - parses.baseline
        assert parses.counts["Finding"] >= n  # so the live findings were sampled as it read
        assert parses.peak < 50, f"{parses.peak} findings alive while recording {n}"
        assert held <= len(pending.result.resolved) + 5, f"{held} findings kept by the record"
        assert isinstance(pending.result.findings, Spill)
        assert len(pending.result.findings) == n
        assert len(pending.tracks) == n  # one per fingerprint: n - 2 seen, new, resolved
        # and the tracks wait for delivery on disk too, while the reports are written
        assert isinstance(pending.tracks, Spill)
        store.deliver(pending)
        again = store.finding_history(make_finding("bucket-0").fingerprint)
        assert again is not None and again.open and again.last_scan_id == scan.scan.id


@pytest.mark.parametrize("convert", [lambda r: r, on_disk], ids=["memory", "disk"])
def test_suppressions_without_a_history_mark_in_one_pass_and_stay_on_disk(
    convert: Callable[[ScanResult], ScanResult],
) -> None:
    scan = convert(first_scan(50))
    with counting_parses() as parses:
        marked = apply_suppressions(scan, SUPPRESSIONS, now=day(0))
    assert isinstance(marked.findings, type(scan.findings))
    assert parses.passes(Finding, scan.findings) <= 1
    suppressed = [f for f in marked.findings if f.suppression]
    assert [f.resource.name for f in suppressed if f.resource] == ["bucket-5"]
    assert all(f.state is None for f in marked.findings)
    assert marked.stale_suppressions == ("gone",)
    assert tuple(marked.findings) == tuple(
        apply_suppressions(first_scan(50), SUPPRESSIONS, now=day(0)).findings
    )

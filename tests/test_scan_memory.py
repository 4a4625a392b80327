"""A scan holds its buckets and findings on disk, not as objects (issue 14, part 4): evaluation
keeps a bounded number of them alive however large the estate, and the result reads back the
same as an evaluation held in memory."""

from __future__ import annotations

import errno
import gc
import json
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from residency_audit import scan
from residency_audit.cli import cli
from residency_audit.config import parse_config
from residency_audit.model import Bucket, Finding, Inventory, Text
from residency_audit.profiles import load_profile
from residency_audit.spill import Spill, SpillError, SpillWriter
from residency_audit.testing import scan_provider

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "estates" / "demo.json"
COPIES = 60  # the demo's 16 buckets 60 times: 960 buckets, some 2,100 findings


def _estate(tmp: Path) -> Path:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    buckets = []
    for i in range(COPIES):
        for b in demo["buckets"]:
            clone = {**b, "name": f"{b['name']}-{i:03d}", "uid": f"{b['uid']}-{i:03d}"}
            clone["locations"] = [{**loc, "resolution": None} for loc in b["locations"]]
            clone.pop("classification", None)
            clone.pop("classification_source", None)
            buckets.append(clone)
    path = tmp / "estate.json"
    path.write_text(json.dumps({**demo, "buckets": buckets}), encoding="utf-8")
    return path


def test_evaluation_keeps_a_bounded_number_of_buckets_and_findings_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every bucket evaluated and every finding made, by weak reference: how many are alive
    made: dict[str, list[weakref.ref[Any]]] = {"findings": [], "buckets": []}
    peaks = {"findings": 0, "buckets": 0, "calls": 0}
    real = scan.Evaluator.bucket

    def alive(kind: str) -> int:
        return sum(ref() is not None for ref in made[kind])

    def watched(self: scan.Evaluator, bucket: Bucket) -> list[Finding]:
        peaks["calls"] += 1
        if peaks["calls"] % 100 == 0:
            gc.collect()
            peaks["findings"] = max(peaks["findings"], alive("findings"))
            peaks["buckets"] = max(peaks["buckets"], alive("buckets"))
        findings = real(self, bucket)
        made["buckets"].append(weakref.ref(bucket))
        made["findings"].extend(weakref.ref(f) for f in findings)
        return findings

    monkeypatch.setattr(scan.Evaluator, "bucket", watched)
    result = scan_provider("fixture", {"path": str(_estate(tmp_path))}, tmp_path)

    assert isinstance(result.findings, Spill) and isinstance(result.inventory.buckets, Spill)
    assert len(result.inventory.buckets) == 16 * COPIES
    assert len(result.findings) > 2_000
    assert peaks["calls"] == 16 * COPIES
    # held as objects, the 960 buckets and 2,100 findings would all be alive by the end
    assert peaks["findings"] < 50, peaks
    assert peaks["buckets"] < 50, peaks


def test_the_spilled_result_is_the_result_evaluated_in_memory(tmp_path: Path) -> None:
    estate = _estate(tmp_path)
    result = scan_provider("fixture", {"path": str(estate)}, tmp_path)
    held = Inventory.model_validate(json.loads(estate.read_text(encoding="utf-8")))
    in_order = sorted(held.buckets, key=lambda b: (b.provider, b.scope, b.name, b.uid))
    config = parse_config(
        {"profile": "jp-default", "providers": {"fixture": {"path": str(estate)}}},
        source="<test>",
        base_dir=tmp_path,
    )
    in_memory = scan.evaluate_inventory(
        held.model_copy(update={"scopes": result.inventory.scopes, "buckets": tuple(in_order)}),
        load_profile("jp-default"),
        scan.settings_from_config(config),
    )
    assert isinstance(in_memory.findings, tuple)
    assert tuple(result.findings) == in_memory.findings  # the same findings, in the same order
    assert tuple(result.inventory.buckets) == in_memory.inventory.buckets
    assert result.scan.coverage == in_memory.scan.coverage
    assert result.scan.profile == in_memory.scan.profile


def test_a_temp_directory_that_cannot_be_written_stops_the_scan_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_config: Callable[..., Path]
) -> None:
    missing = tmp_path / "no-such-tmp"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))  # as TMPDIR naming a missing dir
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", "--config", str(write_config()), "-o", str(out)])
    assert result.exit_code == 4, result.output
    assert f"the scan's temporary files in {missing} could not be written" in result.stderr
    assert "TMPDIR" in result.stderr and "internal error" not in result.stderr
    assert not list(out.glob("*.json"))  # no report, no half-written one


def test_a_full_disk_while_spilling_is_the_same_clear_error() -> None:
    class Full:
        """A temp file on a full disk."""

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            pass

    writer = SpillWriter(Text)
    writer._store.file = Full()  # type: ignore[assignment]
    writer.add(Text(ja="", en=""))
    with pytest.raises(SpillError, match="could not be written: No space left on device"):
        writer.finish()

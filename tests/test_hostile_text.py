"""Lone surrogates and control characters from a plugin (or an inventory file) are replaced with
U+FFFD before anything is stored or written, and every report is still written; report.html holds
no raw control character even when handed one directly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from click.testing import CliRunner

from residency_audit import report
from residency_audit.cli import cli
from residency_audit.errors import CollectionError
from residency_audit.model import Bucket, CoverageNote, Gap, Location, Role, Text
from residency_audit.plaintext import clean_text
from residency_audit.plugins import Scope
from residency_audit.profiles import load_profile
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import collect, evaluate_inventory
from tests.conftest import DEMO_ESTATE
from tests.report_builders import build_result

# every C0 control, DEL, every C1 control, and lone surrogates of both halves
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
CORPUS = "a" + CONTROLS + "\udc80b\ud800" + "<\u2028>"
RAW_IN_HTML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # TAB, LF allowed
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
ALL_FORMATS = ("json", "csv", "html", "xlsx")


def test_clean_text_replaces_surrogates_and_controls_but_keeps_tab_newlines_and_pairs() -> None:
    assert clean_text("x\udc80y\x00z\x1b[2J\x85") == "x\ufffdy\ufffdz\ufffd[2J\ufffd"
    assert clean_text("line 1\r\n\tline 2\n") == "line 1\r\n\tline 2\n"
    assert clean_text("\ud83d\ude00") == "\U0001f600"  # a well-formed pair is its character
    assert clean_text("日本語 plain") == "日本語 plain"


class DirtyCloud:
    """A plugin passing on raw SDK text: a tag, a gap reason, a note, a scope error."""

    name: ClassVar[str] = "dirty"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> DirtyCloud:
        return cls()

    def scopes(self) -> Iterable[Scope]:
        return [Scope(provider="aws", id="1", name="prod\x1b"), Scope(provider="aws", id="2")]

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        if scope.id == "2":
            raise CollectionError("AccessDenied \udcff\x00")
        yield CoverageNote(kind="region-unreachable", detail="eu-south-2 " + CORPUS)
        yield Bucket(
            provider="aws",
            scope="1",
            name="b",
            uid="arn:aws:s3:::b",
            tags={"owner" + CORPUS: CORPUS},
            locations=(
                Location(
                    role=Role.REPLICA,
                    provider="aws",
                    region=None,
                    mechanism="s3-replication",
                    unknown_reason=CORPUS,
                ),
            ),
            gaps=(Gap(field="replication", reason="GetBucketReplication: " + CORPUS),),
        )

    def required_permissions(self) -> tuple[str, ...]:
        return ()


def _assert_written_and_clean(paths: Iterable[Path]) -> None:
    for path in paths:
        data = path.read_bytes()
        assert data, path
        if path.suffix != ".xlsx":
            assert not UNSAFE.search(data.decode("utf-8")), path  # strict UTF-8: no surrogate


def test_plugin_text_is_cleaned_before_it_is_stored(tmp_path: Path) -> None:
    inventory = collect({"dirty": DirtyCloud()})  # type: ignore[dict-item]
    dumped = inventory.model_dump_json()  # pydantic escapes nothing: a raw control would show
    stored = json.loads(dumped)
    assert not UNSAFE.search(json.dumps(stored, ensure_ascii=False)), "raw text left"
    bucket = inventory.buckets[0]
    assert bucket.tags == {clean_text("owner" + CORPUS): clean_text(CORPUS)}
    assert bucket.gaps[0].reason.endswith(clean_text(CORPUS))
    assert bucket.locations[0].unknown_reason == clean_text(CORPUS)
    failed = next(s for s in inventory.scopes if s.scope == "2")
    assert failed.error == "AccessDenied \ufffd\ufffd"
    ok = next(s for s in inventory.scopes if s.scope == "1")
    assert ok.name == "prod\ufffd" and ok.notes[0].detail.endswith(clean_text(CORPUS))
    settings = EvaluationSettings(today=inventory.started.date())
    result = evaluate_inventory(inventory, load_profile("jp-default"), settings)
    _assert_written_and_clean(report.write_reports(result, tmp_path, formats=ALL_FORMATS))


def _dirty_estate(tmp_path: Path) -> Path:
    """The demo estate with lone surrogates and controls (as JSON escapes) in tags and errors."""
    estate = json.loads(DEMO_ESTATE.read_text(encoding="utf-8"))
    assert estate["buckets"][0]["name"] == "jp-design-docs-tokyo"
    estate["buckets"][0]["tags"]["owner"] = CORPUS
    assert estate["buckets"][4]["name"] == "partner-exchange"
    estate["buckets"][4]["locations"][1]["unknown_reason"] = "HeadBucket: " + CORPUS
    estate["scopes"][2].update(status="failed", error="AssumeRole " + CORPUS)
    estate["buckets"] = [b for b in estate["buckets"] if b["scope"] != estate["scopes"][2]["scope"]]
    path = tmp_path / "estate.json"
    path.write_text(
        json.dumps(estate), encoding="ascii"
    )  # \udc80 as an escape, as a tool writes it
    return path


def _check_reports(out: Path) -> None:
    names = {p.name for p in out.iterdir()}
    assert {
        "findings.json",
        "inventory.json",
        "findings.csv",
        "inventory.csv",
        "report.html",
    } <= names
    _assert_written_and_clean(out / n for n in names if n.endswith((".json", ".csv", ".html")))
    inventory = json.loads((out / "inventory.json").read_text(encoding="utf-8"))
    named = {b["name"]: b for b in inventory["buckets"]}
    assert named["jp-design-docs-tokyo"]["tags"]["owner"] == clean_text(CORPUS)
    replica = named["partner-exchange"]
    assert replica["locations"][1]["unknown_reason"] == "HeadBucket: " + clean_text(CORPUS)
    failed = [s for s in inventory["scopes"] if s["status"] == "failed"]
    assert failed and failed[0]["error"] == "AssumeRole " + clean_text(CORPUS)


def test_scan_of_an_inventory_with_lone_surrogates_writes_every_report(tmp_path: Path) -> None:
    _dirty_estate(tmp_path)
    config = tmp_path / "scan.toml"
    config.write_text(
        '[providers.fixture]\npath = "estate.json"\n[output]\nformats = ["json", "csv", '
        '"html", "xlsx"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "-q", "--no-history"]
    )
    assert result.exit_code == 3, result.output  # the failed scope, and only that
    _check_reports(out)
    assert (out / "findings.xlsx").stat().st_size > 0


def test_evaluate_of_an_inventory_with_lone_surrogates_writes_every_report(tmp_path: Path) -> None:
    estate = _dirty_estate(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(estate), "-o", str(out), "-q"])
    assert result.exit_code == 3, result.output
    _check_reports(out)


def test_report_html_holds_no_raw_control_character(tmp_path: Path) -> None:
    base = build_result()
    buckets = list(base.inventory.buckets)
    hostile = buckets[1]
    buckets[1] = hostile.model_copy(
        update={
            "name": "n" + CORPUS,
            "tags": {**hostile.tags, "k" + CORPUS: CORPUS},
            "gaps": tuple(g.model_copy(update={"reason": CORPUS}) for g in hostile.gaps),
        }
    )
    scopes = tuple(s.model_copy(update={"error": CORPUS}) for s in base.inventory.scopes)
    findings = tuple(
        f.model_copy(update={"message": Text(ja=CORPUS, en=CORPUS)}) for f in base.findings
    )
    inventory = base.inventory.model_copy(update={"buckets": tuple(buckets), "scopes": scopes})
    result = base.model_copy(update={"inventory": inventory, "findings": findings})
    for lang in ("ja", "en"):
        page = report.render_html(result, lang).encode("utf-8").decode("utf-8")
        raw = sorted({f"U+{ord(c):04X}" for c in RAW_IN_HTML.findall(page)})
        assert raw == [], raw
        # the page's data still carries the exact text, as JSON escapes
        blob = page.split('<script type="application/json" id="ra-data">', 1)[1]
        data = json.loads(blob.split("</script>", 1)[0])
        assert CORPUS in set(_strings(data))
        assert "\ufffd" in page  # shown, replaced, where it is markup text


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield k
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


def test_a_result_built_with_lone_surrogates_still_writes_every_report(tmp_path: Path) -> None:
    """Defence in depth: each writer copes even with text that skipped the scan's cleaning."""
    result = build_result(extra_finding_msgs=("replica \udc80 in HK", "\ud800=cmd"))
    paths = report.write_reports(result, tmp_path, lang="en", formats=ALL_FORMATS)
    assert {p.name for p in paths} >= {"findings.json", "findings.csv", "report.html"}
    _assert_written_and_clean(paths)
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert "replica \ufffd in HK" in {f["message"]["en"] for f in doc["findings"]}

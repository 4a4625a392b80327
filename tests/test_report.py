"""Report writers: JSON shape and round trip, CSV safety, HTML escaping and content, atomic writes.

The page in a real browser: test_report_browser.py; the workbook: test_report_xlsx.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.markup import code, quote
from residency_audit.model import FindingState
from residency_audit.results import ScanResult
from tests.report_builders import (
    CSV_TRIGGERS,
    HOSTILE,
    HOSTILE_ERR,
    HOSTILE_IMG,
    build_result,
    demo_result,
    read_csv,
)

# --- findings.json / inventory.json -----------------------------------------------------------


def test_findings_json_has_the_stable_keys_and_round_trips(tmp_path: Path) -> None:
    result = build_result(weakened=True)
    paths = report.write_reports(result, tmp_path, formats=("json",))
    assert [p.name for p in paths] == ["inventory.json", "findings.json"]
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "residency-audit/findings/v1"
    assert "inventory" not in doc
    scan = doc["scan"]
    assert {"id", "started", "finished", "tool_version", "profile", "providers", "coverage"} <= set(
        scan
    )
    assert {"name", "sha256", "base", "weakened"} <= set(scan["profile"])
    assert scan["profile"]["weakened"][0]["items"] == ["(2)-1"]
    first = next(f for f in doc["findings"] if f["rule_id"] == "residency.concern")
    stable = {
        "fingerprint",
        "rule_id",
        "guideline_items",
        "severity",
        "provider",
        "scope",
        "resource",
        "location",
        "message",
        "remediation",
    }
    assert stable <= set(first)
    assert first["guideline_items"] == ["(2)-1"]
    assert first["resource"] == {"name": "replicated-hk", "uid": "arn:aws:s3:::replicated-hk"}
    assert {"role", "region", "country", "countries", "certainty"} <= set(first["location"])
    assert first["location"]["country"] == "HK"
    assert set(first["message"]) == {"ja", "en"}
    attestation = next(f for f in doc["findings"] if f["rule_id"] == "attestation.contract")
    assert attestation["location"] is None and attestation["resource"] is None

    back = report.load_result(tmp_path / "findings.json", tmp_path / "inventory.json")
    assert back == result
    inv = json.loads((tmp_path / "inventory.json").read_text(encoding="utf-8"))
    assert inv["schema"] == "residency-audit/inventory/v1"
    assert len(inv["buckets"]) == 4


# --- CSV --------------------------------------------------------------------------------------


def _assert_all_quoted(raw: str) -> None:
    """Every field of every record is a quoted field (embedded newlines included)."""
    assert re.fullmatch(r'(?:"(?:[^"]|"")*"(?:,|\r\n))+', raw), "a field is not quoted"


@pytest.mark.parametrize("trigger", CSV_TRIGGERS)
def test_csv_neutralises_every_formula_trigger(tmp_path: Path, trigger: str) -> None:
    payload = f'{trigger}HYPERLINK("http://evil","x")\r\nsecond line'
    result = build_result(extra_finding_msgs=(payload,))
    report.write_reports(result, tmp_path, lang="en", formats=("csv",))
    rows = read_csv(tmp_path / "findings.csv")
    cell = next(r["message"] for r in rows if r["rule_id"] == "test.payload0")
    assert cell == "'" + payload  # neutralised, and the embedded CR/LF survive inside the cell
    for row in rows:
        for value in row.values():
            assert not value.startswith(CSV_TRIGGERS), value


def test_csv_files_have_bom_quote_everything_and_neutralise_inventory_cells(tmp_path: Path) -> None:
    result = build_result(extra_finding_msgs=tuple(f"{c}x" for c in CSV_TRIGGERS))
    report.write_reports(result, tmp_path, lang="ja", formats=("csv",))
    for name in ("findings.csv", "inventory.csv"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f"{name} lacks the UTF-8 BOM"
        _assert_all_quoted(data.decode("utf-8-sig"))

    findings = read_csv(tmp_path / "findings.csv")
    assert len(findings) == len(result.findings)
    assert {r["message"] for r in findings if r["rule_id"].startswith("test.payload")} == {
        f"'{c}x" for c in CSV_TRIGGERS
    }
    note = next(r for r in findings if r["rule_id"] == "encryption.note")
    assert note["guideline_items"] == "(1)-note;(1)-3"
    assert note["message"].startswith("日本語")  # chosen language
    assert next(r for r in findings if r["rule_id"] == "public.access")["suppression_id"] == "S-1"

    inventory = read_csv(tmp_path / "inventory.csv")
    assert list(inventory[0]) == list(report.csvout.INVENTORY_COLUMNS)
    # one row per location, plus one for the bucket that has none (never dropped)
    assert len(inventory) == 2 + 3 + 3 + 1
    replica = next(r for r in inventory if r["role"] == "replica")
    assert replica["target"] == HOSTILE and replica["countries"] == "HK"
    backup = next(r for r in inventory if r["role"] == "backup")
    assert backup["region"] == "" and backup["unknown_reason"] == HOSTILE_ERR
    assert backup["verified"] == ""  # not resolved at all: not "true"
    tw = next(r for r in inventory if r["countries"] == "TW")
    assert (tw["certainty"], tw["verified"]) == ("possible", "false")
    nolocs = next(r for r in inventory if r["bucket"] == "nolocs")
    assert nolocs["role"] == "" and nolocs["unknown_reason"] == report.csvout.NO_LOCATION_REASON


def test_neutralise_leaves_numbers_and_plain_text_alone() -> None:
    assert report.neutralise(-5) == "-5"
    assert report.neutralise(2.5) == "2.5"
    assert report.neutralise(True) == "true"
    assert report.neutralise(None) == ""
    assert report.neutralise("ap-east-1") == "ap-east-1"
    assert report.neutralise("-1+1") == "'-1+1"


# --- HTML -------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def _parse(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    parser.close()
    return parser


# the only SVG in the page is ours: the map and the legend swatches, drawn from our own data
_SVG_PARTS = {"svg", "g", "path", "polygon", "rect", "circle", "text", "title", "line"}


def _embedded(page: str) -> dict[str, Any]:
    raw = re.search(r'<script type="application/json" id="ra-data">(.*?)</script>', page, re.S)
    assert raw is not None
    assert not re.search(r"[<>&\u2028\u2029]", raw.group(1))
    data: dict[str, Any] = json.loads(raw.group(1))
    return data


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_escapes_hostile_text_and_embeds_data_safely(lang: str) -> None:
    result = build_result()
    page = report.render_html(result, lang)
    parsed = _parse(page)
    names = [t for t, _ in parsed.tags]
    assert names.count("script") == 2, "only the JSON block and our own script"
    assert "img" not in names and "b" not in names
    svgs = [a for t, a in parsed.tags if t == "svg"]
    assert svgs and all(a.get("id") == "map-svg" or a.get("class") == "lg-line" for a in svgs)
    for tag, attrs in parsed.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        for attr in ("src", "href", "action", "srcset", "poster", "data", "xlink:href"):
            value = attrs.get(attr)
            assert value is None or value.startswith("#"), (tag, attr, value)
    assert "link" not in names and "iframe" not in names and "object" not in names
    visible = "".join(parsed.text)
    assert HOSTILE in visible and HOSTILE_IMG in visible  # shown as text
    assert "<b>AccessDenied</b>" in visible
    data_tag = next(i for i, (t, a) in enumerate(parsed.tags) if a.get("id") == "ra-data")
    assert parsed.tags[data_tag] == ("script", {"type": "application/json", "id": "ra-data"})
    data = _embedded(page)  # no way out of the script element, and it parses back to the data
    assert data["lang"] == lang and data["schema"] == "residency-audit/report-data/v3"
    strings, values = data["s"], data["v"]
    buckets, findings = data["buckets"], data["findings"]
    hostile = buckets["n"].index("replicated-hk")
    tags = values[buckets["tags"][hostile]]
    assert ["owner", HOSTILE] in [[strings[k], strings[v]] for k, v in tags]
    # the gap's reason as [ja, en]: the error code, then the API's words as one quotation
    reason = [strings[k] for k in values[buckets["gaps"][hostile]][0][1]]
    assert reason == [code("AccessDenied") + " " + quote(HOSTILE_ERR)] * 2
    assert findings["count"] == len(result.findings)
    # messages survive the sentence string table exactly, in both languages
    by_fp = {f.fingerprint[:16]: f for f in result.findings}
    for i in range(findings["count"]):
        f = by_fp[findings["fp"][i * 16 : i * 16 + 16]]
        b = findings["b"][i]
        name = buckets["n"][b] if b >= 0 else ""
        mt, ja, en = values[findings["m"][i]]
        for sentences, text in ((ja, f.message.ja), (en, f.message.en)):
            joined = "".join(strings[k] for k in sentences)
            assert (joined.replace("\ue000", name) if mt else joined) == text
        assert strings[values[findings["rm"][i]][1]] == f.remediation.en


def test_embedded_data_is_compact_and_holds_every_finding_once() -> None:
    result = demo_result(history=True)
    page = report.render_html(result, "ja")
    data = _embedded(page)
    ordered = sorted(result.findings, key=report.html.finding_sort_key)
    fp = data["findings"]["fp"]
    assert [fp[i : i + 16] for i in range(0, len(fp), 16)] == [f.fingerprint[:16] for f in ordered]
    assert data["buckets"]["count"] == len(result.inventory.buckets)
    # each bucket's uid comes back from its template: the name put in for U+E000 (U+E005: the
    # part after the last "/")
    for j, b in enumerate(
        sorted(result.inventory.buckets, key=lambda b: (b.provider, b.scope, b.name, b.uid))
    ):
        template = data["s"][data["buckets"]["u"][j]]
        name = data["buckets"]["n"][j]
        uid = template.replace("\ue000", name).replace("\ue005", name.rsplit("/", 1)[-1])
        assert (data["buckets"]["ul"].get(str(j)) or uid) == b.uid
    assert page.count(result.findings[0].remediation.en) <= 1  # data is embedded once
    # a value many rows share is stored once: the remediations of the demo's 71 findings
    remediations = {f.remediation for f in result.findings}
    assert len(set(data["findings"]["rm"])) == len(remediations)
    assert all(sum(s == x for x in data["s"]) == 1 for s in data["s"])  # each text stored once
    sources = {
        loc.resolution.source
        for b in result.inventory.buckets
        for loc in b.locations
        if loc.resolution and loc.resolution.source
    }
    assert not sources & set(data["s"])  # a location cites its source by number, not text


def test_html_csp_forbids_every_fetch_and_allows_only_our_inline_blocks() -> None:
    page = report.render_html(build_result(), "ja")
    csp = next(
        a["content"]
        for t, a in _parse(page).tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|data:|file:)""", page, re.I)
    assert "@import" not in page and "url(" not in page


def test_html_content_both_languages_with_the_default_chosen() -> None:
    result = build_result(weakened=True)
    ja = report.render_html(result, "ja")
    en = report.render_html(result, "en")
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    for page in (ja, en):
        text = "".join(_parse(page).text)
        # the original title is cited in Japanese with its date, whatever the language
        assert "自主管理ガイドライン" in text and "2013-06-26" in text
        assert "qanda25" in text  # METI's Q&A, pointed to as text
        assert "my-profile" in text and "ab" * 32 in text
        assert "(1)-note" in text and "(2)-3" in text  # every item in the summary
        # both languages are embedded; CSS shows the one <html lang> names
        assert (
            '<span class="tx" lang="ja">指摘事項</span><span class="tx" lang="en">Findings</span>'
            in page
        )
        assert "Legal (Sato)" in text and "2026-01-09" in text  # attestation with its expiry
    assert _embedded(ja)["lang"] == "ja" and _embedded(en)["lang"] == "en"


def test_guideline_view_has_status_and_attestations_per_item() -> None:
    page = report.render_html(build_result(), "en")
    cards = re.findall(
        r'<article class="item-card st-([a-z-]+)" id="item-\d+" data-item="([^"]+)">'
        r'\s*<h3><span class="item">(.+?)</span> <span class="status-badge',
        page,
    )
    status = {item: st for st, item, _ in cards}
    # the reader sees the guideline's own word for the note, the id only as data
    shown = {item: heading for _, item, heading in cards}
    assert "なお書き" in shown["(1)-note"] and "(1)-note" not in shown["(1)-note"]
    assert shown["(2)-1"] == "(2)-1"
    assert list(status) == ["(1)-1", "(1)-2", "(1)-3", "(1)-note", "(2)-1", "(2)-2", "(2)-3"]
    assert status["(2)-1"] == "action"  # a critical finding
    assert status["(1)-2"] == "accepted"  # its only finding is suppressed
    # (2)-2 has a high finding; (2)-3 none, but the scan is incomplete: that proves nothing
    assert status["(2)-2"] == "action" and status["(2)-3"] == "clear-incomplete"
    att = re.findall(r'<tr class="att-(\w+)"><td>(\w+)</td>', page)
    assert ("valid", "aws") in att and ("expired", "gcp") in att


def test_changes_and_suppressions_sections() -> None:
    plain = report.render_html(build_result(), "en")
    assert 'id="changes"' not in plain  # no history: no section, and the card says so
    result = demo_result(history=True)
    page = report.render_html(result, "en")
    assert 'id="changes"' in page
    new = sum(f.state is not None and f.state.value == "new" for f in result.findings)
    assert f'<span class="delta new">+{new}</span>' in page
    resolved = re.search(r'<ul class="finding-list changes-resolved">(.*?)</ul>', page, re.S)
    assert (
        resolved
        and "deleted-bucket-0" in resolved.group(1)
        and "deleted-bucket-1" in resolved.group(1)
    )
    section = re.search(r'<section id="suppressed">(.*?)</section>', page, re.S)
    assert section is not None
    suppressed = [f for f in result.findings if f.suppression]
    assert suppressed and section.group(1).count("<tr><td>") == len(suppressed)
    assert "ciso@example.co.jp" in section.group(1) and "2027-03-31" in section.group(1)
    assert "SUP-OLD-1" in section.group(1)  # stale suppression listed


def test_map_marks_concern_countries_and_draws_flows() -> None:
    page = report.render_html(demo_result(), "en")
    svg = re.search(r'<svg id="map-svg".*?</svg>', page, re.S)
    assert svg is not None
    found = re.findall(r'<g class="node t-([a-z]+)" data-cc="([A-Z?]+)"', svg.group(0))
    tiers = {cc: tier for tier, cc in found}
    assert tiers["HK"] == "concern" and tiers["CN"] == "concern" and tiers["JP"] == "ok"
    assert tiers["??"] == "unknown"  # an unknown location is drawn, never dropped
    # every candidate of the ASIA multi-region is drawn in its own tier, not only the worst one
    assert tiers["IN"] == "caution" and tiers["TH"] == "caution" and tiers["KR"] == "ok"
    flows = re.findall(r"<title>([A-Z?]+) → ([A-Z?]+): ", svg.group(0))
    assert ("JP", "HK") in flows  # cad-archive's replica
    assert ("JP", "??") in flows  # partner-exchange's replica with no region
    assert "Natural Earth" in page  # attribution


def _summary_cell(page: str, item: str, severity: str) -> str:
    m = re.search(
        rf'data-filter-item="{re.escape(item)}" data-filter-severity="{severity}">(\d+)<', page
    )
    return m.group(1) if m else "0"


def test_html_summary_counts_items_and_severities() -> None:
    page = report.render_html(build_result(), "en")
    assert _summary_cell(page, "(2)-1", "critical") == "1"
    assert _summary_cell(page, "(2)-1", "high") == "1"  # the unverified unknown-backup finding
    assert _summary_cell(page, "(1)-3", "medium") == "1"
    assert _summary_cell(page, "(1)-3", "low") == "1"  # multi-item finding counted under both
    assert _summary_cell(page, "(1)-note", "low") == "1"
    assert _summary_cell(page, "(2)-3", "high") == "0"


def test_html_marks_weakened_profile_and_coverage() -> None:
    plain = _parse(report.render_html(build_result(), "en"))
    assert not any(a.get("id") == "weakened-notice" for _, a in plain.tags)
    page = report.render_html(build_result(weakened=True), "en")
    parsed = _parse(page)
    assert any(a.get("id") == "weakened-notice" for _, a in parsed.tags)
    notice = re.search(r'id="weakened-notice">(.*?)</div>', page, re.S)
    assert notice and "HK" in notice.group(1) and "(2)-1" in notice.group(1)
    assert any(a.get("id") == "incomplete-notice" for _, a in parsed.tags)
    text = "".join(parsed.text)
    assert "Failed" in text
    assert "台湾Taiwan (TW)" in text  # unverified catalog row, country named in both languages


def test_long_lists_are_capped_but_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.html, "LIST_CAP", 1)
    page = report.render_html(build_result(), "en")
    unclassified = re.search(r'<ul class="unclassified-list">(.*?)</ul>', page, re.S)
    assert unclassified and unclassified.group(1).count("<li>") == 1
    assert "More not shown" in page


def test_render_rejects_unknown_language_and_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        report.render_html(build_result(), "fr")
    with pytest.raises(ValueError, match="format"):
        report.write_reports(build_result(), tmp_path, formats=("pdf",))
    assert list(tmp_path.iterdir()) == []


def test_every_label_has_both_languages() -> None:
    labels = report.labels.all_labels()
    assert labels and all(set(v) == {"ja", "en"} and all(v.values()) for v in labels.values())


# --- atomic writes ----------------------------------------------------------------------------


def test_write_reports_writes_the_default_five_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    paths = report.write_reports(build_result(), out)
    assert sorted(p.name for p in paths) == sorted(
        ["inventory.json", "findings.json", "findings.csv", "inventory.csv", "report.html"]
    )
    every = report.write_reports(build_result(), tmp_path / "all", formats=report.FORMATS)
    assert "findings.xlsx" in {p.name for p in every}
    shown = [p.name for p in out.iterdir() if not p.name.startswith(".")]  # not .report-sets
    assert sorted(shown) == sorted(p.name for p in paths)
    assert all(p.stat().st_size > 0 for p in paths)


def test_failed_render_keeps_old_reports_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report.write_reports(build_result(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    def boom(result: ScanResult, lang: str) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(report.html, "render_html", boom)
    monkeypatch.setitem(
        report.OUTPUT_FILES, "html", (("report.html", lambda r, lang: boom(r, lang).encode()),)
    )
    changed = build_result(extra_finding_msgs=("changed",))
    with pytest.raises(RuntimeError, match="exploded"):
        report.write_reports(changed, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_atomic_write_cleans_up_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    report.atomic_write_text(target, "old")
    target.chmod(0o640)

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("residency_audit.report.atomic.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        report.atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    report.atomic_write_bytes(target, "新しい".encode())
    assert target.read_text(encoding="utf-8") == "新しい"
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode


def test_first_recorded_scan_says_so_instead_of_listing_every_finding() -> None:
    result = demo_result()
    first = result.model_copy(
        update={
            "findings": tuple(
                f.model_copy(update={"state": FindingState.NEW}) for f in result.findings
            )
        }
    )
    page = report.render_html(first, "en")
    section = re.search(r'<section id="changes">(.*?)</section>', page, re.S)
    assert section is not None
    assert "first scan recorded in this history" in section.group(1)
    assert "changes-new" not in section.group(1)

"""Report writers: JSON shape and round trip, CSV safety, HTML escaping and content, atomic writes,
and the page itself in a real headless Chromium."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.model import (
    Bucket,
    Certainty,
    Classification,
    CountryResolution,
    CoverageNote,
    Encryption,
    EncryptionTier,
    Finding,
    FindingLocation,
    Gap,
    Inventory,
    Location,
    PublicAccess,
    PublicVerdict,
    ResourceRef,
    Role,
    ScopeResult,
    ScopeStatus,
    Severity,
    SuppressionRef,
    Text,
)
from residency_audit.profiles.model import Weakening
from residency_audit.results import Coverage, ProfileRef, ScanMeta, ScanResult

HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(2)>'
HOSTILE_ERR = "<b>AccessDenied</b> </SCRIPT ><svg onload=alert(3)>\u2028&amp;"
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


# --- a small builder over the contract types ------------------------------------------------


def _res(
    *countries: str,
    verified: bool = True,
    certainty: Certainty = Certainty.CONFIRMED,
    source: str = "regions.csv",
) -> CountryResolution:
    return CountryResolution(
        countries=countries, certainty=certainty, verified=verified, source=source
    )


def _loc(
    role: Role, provider: str, region: str | None, res: CountryResolution | None, **kw: Any
) -> Location:
    mechanism = kw.pop("mechanism", "bucket-location" if role is Role.PRIMARY else "replication")
    return Location(
        role=role, provider=provider, region=region, mechanism=mechanism, resolution=res, **kw
    )


def _finding(
    rule: str,
    items: tuple[str, ...],
    sev: Severity,
    bucket: Bucket | None,
    loc: Location | None,
    provider: str = "aws",
    scope: str = "111111111111",
    msg_en: str = "",
    msg_ja: str = "",
    **kw: Any,
) -> Finding:
    parts = [
        rule,
        provider,
        scope,
        bucket.uid if bucket else "",
        loc.role if loc else "",
        (loc.region or "") if loc else "",
    ]
    fl = None
    if loc is not None:
        countries = loc.resolution.countries if loc.resolution else ()
        fl = FindingLocation(
            role=loc.role,
            region=loc.region,
            country=countries[0] if countries else None,
            countries=countries,
            certainty=loc.certainty,
            mechanism=loc.mechanism,
            target=loc.target,
        )
    return Finding(
        fingerprint=hashlib.sha256("|".join(parts).encode()).hexdigest(),
        rule_id=rule,
        guideline_items=items,
        severity=sev,
        base_severity=sev,
        provider=bucket.provider if bucket else provider,
        scope=bucket.scope if bucket else scope,
        resource=ResourceRef(name=bucket.name, uid=bucket.uid) if bucket else None,
        location=fl,
        message=Text(ja=msg_ja or f"日本語: {msg_en or rule}", en=msg_en or f"finding {rule}"),
        remediation=Text(ja="対応してください", en=f"Fix it ({rule})"),
        **kw,
    )


def build_result(*, weakened: bool = False, extra_finding_msgs: tuple[str, ...] = ()) -> ScanResult:
    tokyo = Bucket(
        provider="aws",
        scope="111111111111",
        name="tokyo-only",
        uid="arn:aws:s3:::tokyo-only",
        tags={"classification": "sensitive"},
        locations=(
            _loc(Role.PRIMARY, "aws", "ap-northeast-1", _res("JP")),
            _loc(Role.KEY, "aws", "ap-northeast-1", _res("JP"), mechanism="kms"),
        ),
        encryption=Encryption(tier=EncryptionTier.CUSTOMER_MANAGED, key_id="arn:aws:kms:k/1"),
        public_access=PublicAccess(verdict=PublicVerdict.BLOCKED, evidence=("BPA on",)),
        classification=Classification.SENSITIVE,
    )
    hostile = Bucket(
        provider="aws",
        scope="111111111111",
        name="replicated-hk",
        uid="arn:aws:s3:::replicated-hk",
        tags={"owner": HOSTILE, "note": HOSTILE_IMG, "=cmd": "+SUM(1)"},
        locations=(
            _loc(Role.PRIMARY, "aws", "ap-northeast-1", _res("JP")),
            _loc(
                Role.REPLICA,
                "aws",
                "ap-east-1",
                _res("HK"),
                target=HOSTILE,
                mechanism="s3-replication",
            ),
            _loc(
                Role.BACKUP,
                "aws",
                None,
                None,
                mechanism="aws-backup-copy",
                unknown_reason=HOSTILE_ERR,
            ),
        ),
        gaps=(
            Gap(
                field="replication",
                reason=HOSTILE_ERR,
                error_code="AccessDenied",
                may_hide_copy=True,
            ),
        ),
        public_access=PublicAccess(verdict=PublicVerdict.PUBLIC, evidence=(HOSTILE,)),
        classification=None,
    )
    asia = Bucket(
        provider="gcp",
        scope="proj-1",
        name="asia-multi",
        uid="gs://asia-multi",
        locations=tuple(
            _loc(
                Role.MULTI_REGION_MEMBER,
                "gcp",
                "ASIA",
                _res(cc, certainty=Certainty.POSSIBLE, verified=cc != "TW"),
                mechanism="multi-region",
            )
            for cc in ("JP", "TW", "SG")
        ),
        classification=Classification.UNCLASSIFIED,
    )
    empty = Bucket(provider="azure", scope="sub-1", name="nolocs", uid="/subs/sub-1/nolocs")
    buckets = (tokyo, hostile, asia, empty)
    hk = hostile.locations[1]
    findings = [
        _finding(
            "residency.concern",
            ("(2)-1",),
            Severity.CRITICAL,
            hostile,
            hk,
            msg_en=f"Replica in HK {HOSTILE}",
        ),
        _finding("residency.government-access", ("(2)-2",), Severity.HIGH, hostile, hk),
        _finding(
            "residency.unknown",
            ("(2)-1",),
            Severity.HIGH,
            hostile,
            hostile.locations[2],
            unverified=True,
            msg_en="Backup destination unknown",
        ),
        _finding("residency.caution", ("(1)-3",), Severity.MEDIUM, asia, asia.locations[1]),
        _finding(
            "public.access",
            ("(1)-2",),
            Severity.HIGH,
            hostile,
            None,
            suppression=SuppressionRef(
                id="S-1", reason=HOSTILE, approved_by="a", expires=date(2030, 1, 1)
            ),
        ),
        _finding(
            "attestation.contract", ("(1)-1",), Severity.MEDIUM, None, None, msg_en="No attestation"
        ),
        _finding("encryption.note", ("(1)-note", "(1)-3"), Severity.LOW, asia, None),
    ]
    for i, m in enumerate(extra_finding_msgs):
        findings.append(
            _finding(f"test.payload{i}", ("(1)-3",), Severity.INFO, tokyo, None, msg_en=m, msg_ja=m)
        )
    scopes = (
        ScopeResult(
            provider="aws",
            scope="111111111111",
            bucket_count=2,
            status=ScopeStatus.INCOMPLETE,
            notes=(
                CoverageNote(kind="region-unreachable", detail=HOSTILE, affects_completeness=True),
            ),
        ),
        ScopeResult(provider="gcp", scope="proj-1", bucket_count=1),
        ScopeResult(provider="azure", scope="sub-1", bucket_count=1),
        ScopeResult(provider="azure", scope="sub-2", status=ScopeStatus.FAILED, error=HOSTILE_ERR),
    )
    t0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    t1 = datetime(2026, 11, 27, 1, 5, tzinfo=UTC)
    inventory = Inventory(
        scan_id="scan-1",
        started=t0,
        finished=t1,
        providers=("aws", "gcp", "azure"),
        scopes=scopes,
        buckets=buckets,
    )
    weak = (Weakening(country="HK", removed_from="concern", items=("(2)-1",)),) if weakened else ()
    meta = ScanMeta(
        id="scan-1",
        started=t0,
        finished=t1,
        tool_version="0.1.0",
        profile=ProfileRef(name="my-profile", sha256="ab" * 32, base="jp-default", weakened=weak),
        providers=("aws", "gcp", "azure"),
        coverage=Coverage(
            scopes_total=4,
            scopes_complete=2,
            scopes_incomplete=1,
            scopes_failed=1,
            buckets=4,
            buckets_with_gaps=1,
            locations=8,
            locations_unknown=1,
            locations_unverified=1,
            unclassified_buckets=3,
            complete=False,
        ),
    )
    return ScanResult(scan=meta, findings=tuple(findings), inventory=inventory)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


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


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_escapes_hostile_text_and_embeds_data_safely(lang: str) -> None:
    result = build_result()
    page = report.render_html(result, lang)
    parsed = _parse(page)
    names = [t for t, _ in parsed.tags]
    assert names.count("script") == 2, "only the JSON block and our own script"
    assert "img" not in names and "svg" not in names and "b" not in names
    for tag, attrs in parsed.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(attr)
            assert value is None or value.startswith("#"), (tag, attr, value)
    assert "link" not in names and "iframe" not in names and "object" not in names
    visible = "".join(parsed.text)
    assert HOSTILE in visible and HOSTILE_IMG in visible  # shown as text
    assert "<b>AccessDenied</b>" in visible
    # The JSON block: no way out of the script element, and it parses back to the data.
    data_tag = next(i for i, (t, a) in enumerate(parsed.tags) if a.get("id") == "ra-data")
    assert parsed.tags[data_tag] == ("script", {"type": "application/json", "id": "ra-data"})
    raw = re.search(r'<script type="application/json" id="ra-data">(.*?)</script>', page, re.S)
    assert raw is not None
    assert not re.search(r"[<>&\u2028\u2029]", raw.group(1))
    data = json.loads(raw.group(1))
    assert data["lang"] == lang
    hostile_bucket = next(b for b in data["inventory"]["buckets"] if b["name"] == "replicated-hk")
    assert hostile_bucket["tags"]["owner"] == HOSTILE
    assert hostile_bucket["gaps"][0]["reason"] == HOSTILE_ERR
    assert len(data["findings"]) == len(result.findings)


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


def test_html_content_ja_default_and_en() -> None:
    result = build_result(weakened=True)
    ja = report.render_html(result, "ja")
    en = report.render_html(result, "en")
    ja_text, en_text = "".join(_parse(ja).text), "".join(_parse(en).text)
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    for text in (ja_text, en_text):
        # the original title is cited in Japanese with its date, whatever the language
        assert "自主管理ガイドライン" in text and "2013-06-26" in text
        assert "qanda25" in text  # METI's Q&A, pointed to as text
        assert "my-profile" in text and "ab" * 32 in text
        assert "(1)-note" in text and "(2)-3" in text  # every item in the summary
    assert "データ保管場所" in ja_text and "指摘事項" in ja_text
    assert "Findings" in en_text and "Coverage" in en_text and "指摘事項" not in en_text
    assert "日本語: Backup destination unknown" in ja_text  # messages in the chosen language
    assert "Backup destination unknown" in en_text and "日本語: Backup" not in en_text


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


def test_html_marks_weakened_profile_unverified_findings_and_coverage() -> None:
    plain = _parse(report.render_html(build_result(), "en"))
    assert not any(a.get("id") == "weakened-notice" for _, a in plain.tags)
    page = report.render_html(build_result(weakened=True), "en")
    parsed = _parse(page)
    assert any(a.get("id") == "weakened-notice" for _, a in parsed.tags)
    notice = re.search(r'id="weakened-notice">(.*?)</div>', page, re.S)
    assert notice and "HK" in notice.group(1) and "(2)-1" in notice.group(1)
    assert any(a.get("id") == "incomplete-notice" for _, a in parsed.tags)
    unverified_rows = [
        a for t, a in parsed.tags if t == "tr" and "is-unverified" in (a.get("class") or "")
    ]
    assert len(unverified_rows) == 1
    text = "".join(parsed.text)
    assert "Failed" in text and "Catalog row unverified" in text and "Possible" in text
    assert "nolocs" in text and "No location is recorded" in text


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


def test_write_reports_writes_all_five_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    paths = report.write_reports(build_result(), out)
    assert sorted(p.name for p in paths) == sorted(
        ["inventory.json", "findings.json", "findings.csv", "inventory.csv", "report.html"]
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert all(p.stat().st_size > 0 for p in paths)


def test_failed_render_keeps_old_reports_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report.write_reports(build_result(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(result: ScanResult, lang: str) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(report.html, "render_html", boom)
    monkeypatch.setitem(
        report.OUTPUT_FILES, "html", (("report.html", lambda r, lang: boom(r, lang).encode()),)
    )
    changed = build_result(extra_finding_msgs=("changed",))
    with pytest.raises(RuntimeError, match="exploded"):
        report.write_reports(changed, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


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


# --- the page in a real headless Chromium -----------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Any:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI would fail here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.browser
def test_report_in_chromium_offline_safe_and_filterable(browser: Any, tmp_path: Path) -> None:
    result = build_result(weakened=True)
    report.write_reports(result, tmp_path, formats=("html",))
    url = (tmp_path / "report.html").as_uri()
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")

    assert requests == [url]
    assert errors == []
    assert dialogs == []
    assert page.get_by_text(HOSTILE, exact=False).count() >= 1  # rendered as text
    assert page.locator("#b-1 img, #b-1 svg").count() == 0

    rows = page.locator("#findings-table tbody tr")
    assert rows.count() == len(result.findings)
    assert page.locator("#filters").is_visible()  # shown only once the script runs
    page.select_option("#f-item", "(2)-1")
    expected = sum("(2)-1" in f.guideline_items for f in result.findings)
    visible = page.locator("#findings-table tbody tr:visible")
    assert visible.count() == expected == 2
    for i in range(visible.count()):
        assert "(2)-1" in visible.nth(i).locator("td").nth(1).inner_text()
    page.select_option("#f-severity", "critical")
    assert page.locator("#findings-table tbody tr:visible").count() == 1
    page.click("#f-reset")
    page.fill("#f-text", "asia-multi")
    assert page.locator("#findings-table tbody tr:visible").count() == 2
    page.fill("#f-text", "")
    page.click("#findings-table th[data-sort=resource] button")
    names = page.locator("#findings-table tbody tr td:nth-child(3)").all_inner_texts()
    assert names == sorted(names, key=lambda n: n if n[0].isascii() else "")  # scope-level first
    assert errors == [] and dialogs == []
    page.close()


@pytest.mark.browser
def test_report_readable_without_javascript(browser: Any, tmp_path: Path) -> None:
    result = build_result()
    report.write_reports(result, tmp_path, formats=("html",), lang="en")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((tmp_path / "report.html").as_uri())
    assert page.locator("#findings-table tbody tr:visible").count() == len(result.findings)
    assert not page.locator("#filters").is_visible()
    assert "Locations by bucket" in page.locator("#buckets h2").inner_text()
    assert page.locator("#buckets article.bucket").count() == len(result.inventory.buckets)
    context.close()

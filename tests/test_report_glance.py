"""The answer first (issue 13, 1): the at-a-glance block of buckets with a copy in a country or
region of concern, as a reader sees it in headless Chromium at 1440x900 before any click.

The view itself (report/glance.py) is pure; a few direct tests pin what it counts: suppressed
findings are left out, unknown countries are kept apart, the row budget is shared by countries.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from residency_audit.model import (
    Certainty,
    Classification,
    Finding,
    Inventory,
    PublicVerdict,
    Role,
    Severity,
    SuppressionRef,
)
from residency_audit.profiles import load_profile
from residency_audit.report.glance import MAX_ROWS_PER_GROUP, glance_view
from residency_audit.results import ScanResult
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import evaluate_inventory
from tests.report_builders import (
    HOSTILE,
    HOSTILE_IMG,
    SCAN_END,
    SCAN_START,
    TODAY,
    build_result,
    demo_inventory,
    demo_result,
)
from tests.test_report_browser import ARTIFACTS, Watched, browser  # noqa: F401 - fixture

VIEWPORT = {"width": 1440, "height": 900}
ITEMS = ("(2)-1", "(2)-2")
# enum values a reader must never see: they are rendered through the label tables
ENUM_WORDS = {
    v.value
    for enum in (Role, Certainty, Severity, Classification, PublicVerdict)
    for v in enum  # type: ignore[attr-defined]
}
# ASCII words allowed in the Japanese block's visible text: the providers' product names
PROVIDER_WORDS = {"AWS", "Google", "Cloud", "Azure"}

# every visible text node of the block outside <code>, joined by newlines
_VISIBLE_TEXT_JS = """el => {
  const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest('code') || !p.checkVisibility()) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  return out.join('\\n');
}"""


def _evaluate(inventory: Inventory) -> ScanResult:
    inventory = inventory.model_copy(update={"started": SCAN_START, "finished": SCAN_END})
    settings = EvaluationSettings(today=TODAY)
    return evaluate_inventory(
        inventory, load_profile("jp-default"), settings, clock=lambda: SCAN_END
    )


def _glance_findings(result: ScanResult) -> list[Finding]:
    return [
        f
        for f in result.findings
        if f.suppression is None and any(i in ITEMS for i in f.guideline_items)
    ]


def _known(f: Finding) -> bool:
    return f.location is not None and f.location.country is not None


def _without(result: ScanResult, keep: Any) -> ScanResult:
    """The demo estate without the buckets ``keep`` rejects, run through the real rules."""
    drop = {f.resource.uid for f in _glance_findings(result) if f.resource and not keep(f)}
    inventory = demo_inventory()
    kept = tuple(b for b in inventory.buckets if b.uid not in drop)
    return _evaluate(inventory.model_copy(update={"buckets": kept}))


@cache
def _demo() -> ScanResult:
    return demo_result()  # frozen: shared by the tests that only read it


@cache
def _concern_estate(n: int) -> ScanResult:
    """The demo estate with its known-country concern buckets cloned to ``n`` such buckets."""
    inventory = demo_inventory()
    concern = {f.resource.uid for f in _glance_findings(_demo()) if f.resource and _known(f)}
    templates = [b for b in inventory.buckets if b.uid in concern]
    clones = tuple(
        t.model_copy(update={"name": f"{t.name}-{i:03d}", "uid": f"{t.uid}-{i:03d}"})
        for i in range(n)
        for t in [templates[i % len(templates)]]
    )
    others = tuple(b for b in inventory.buckets if b.uid not in concern)
    return _evaluate(inventory.model_copy(update={"buckets": clones + others}))


def _spread(result: ScanResult, countries: tuple[str, ...]) -> ScanResult:
    """The same findings with their countries dealt round-robin over ``countries`` (layout only)."""
    out, i = [], 0
    for f in result.findings:
        if f.location is not None and f.location.country is not None and f.suppression is None:
            cc = countries[i % len(countries)]
            i += 1
            f = f.model_copy(update={"location": f.location.model_copy(update={"country": cc})})
        out.append(f)
    return result.model_copy(update={"findings": tuple(out)})


def _open(chromium: Any, result: ScanResult, tmp_path: Path, lang: str = "ja") -> tuple[Any, Any]:
    w = Watched(chromium)
    w.page.set_viewport_size(VIEWPORT)
    return w, w.open(result, tmp_path, lang=lang)


# --- the view ---------------------------------------------------------------------------------


def test_view_leaves_out_suppressed_and_keeps_unknown_apart() -> None:
    result = build_result()
    view = glance_view(result)
    shown = {r.bucket for g in view.groups for r in g.rows}
    live = _glance_findings(result)
    assert shown == {f.resource.name for f in live if _known(f) and f.resource}
    unknown = {f.resource.name if f.resource else None for f in live if not _known(f)}
    assert unknown and {r.bucket for r in view.unverified} == unknown
    rows = {(r.bucket, r.role) for g in view.groups for r in g.rows}
    assert not {(r.bucket, r.role) for r in view.unverified} & rows  # never mixed

    # suppressing every known-country finding empties the list; the unknown ones stay
    ref = SuppressionRef(id="x", reason="r", approved_by="a", expires=result.scan.finished.date())
    hushed = result.model_copy(
        update={
            "findings": tuple(
                f.model_copy(update={"suppression": ref}) if _known(f) else f
                for f in result.findings
            )
        }
    )
    quiet = glance_view(hushed)
    assert quiet.empty and quiet.buckets == 0
    assert quiet.unverified_total == view.unverified_total > 0


def test_view_shares_the_row_budget_and_keeps_every_country() -> None:
    countries = ("CN", "HK", "RU", "BY", "KP", "IR", "SY", "CU", "VE", "MO", "AF", "MM")
    view = glance_view(_spread(_concern_estate(300), countries))
    assert {g.country for g in view.groups} == set(countries)
    assert sum(len(g.rows) for g in view.groups) <= 24
    assert all(1 <= len(g.rows) <= MAX_ROWS_PER_GROUP and g.more > 0 for g in view.groups)
    assert sum(g.total for g in view.groups) > 300  # every row is counted, shown or not


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_demo_names_every_concern_bucket_in_the_first_viewport(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = _demo()
    w, page = _open(browser, result, tmp_path)
    # the block is the first thing after the page header
    assert page.evaluate("document.querySelector('main').firstElementChild.id") == "glance"
    heading = page.locator("#glance h2").inner_text()
    assert "懸念国・地域に保管場所があるバケット" in heading
    names = {
        f.resource.name for f in result.findings if "(2)-1" in f.guideline_items and f.resource
    }
    assert len(names) >= 7
    for name in names:
        cell = page.locator("#glance td.glance-bucket code", has_text=re.compile(f"^{name}$"))
        assert cell.count() >= 1, name
        box = cell.first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= VIEWPORT["height"], name
    # unknown-country copies are in their own block, never among the confirmed ones
    unknown = {f.resource.name for f in _glance_findings(result) if f.resource and not _known(f)}
    assert unknown
    confirmed_block = page.locator("#glance table.glance-table >> nth=0").inner_text()
    unverified_block = page.locator("#glance-unverified").inner_text()
    assert all(n in unverified_block and n not in confirmed_block for n in unknown)
    assert "未確認" in heading and str(len(unknown)) in heading
    # a row says what a reader acts on: country name, role, certainty, action, in Japanese
    hk = page.locator("#glance tbody[data-country=HK]").inner_text()
    assert "香港" in hk and "(HK)" in hk
    assert "レプリカ" in hk and "地理冗長セカンダリ" in hk and "確定" in hk and "可能性あり" in hk
    assert "レプリケーションを停止するか、宛先を保管を認める国・地域へ移す" in hk
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-first-screen.png"))
    assert (ARTIFACTS / "report-first-screen.png").stat().st_size > 10_000
    w.clean()
    w.close()


@pytest.mark.browser
def test_japanese_block_shows_names_not_codes(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    w, page = _open(browser, _demo(), tmp_path)
    text = page.locator("#glance").evaluate(_VISIBLE_TEXT_JS)
    assert "香港" in text and "中国" in text
    words = set(re.findall(r"[A-Za-z][A-Za-z-]*", text))
    assert words <= PROVIDER_WORDS, words - PROVIDER_WORDS
    assert not words & ENUM_WORDS
    # an ISO code appears only in a code element, in parentheses after the country's name
    assert not re.search(r"\b[A-Z]{2}\b", text)
    codes = page.locator("#glance code.cc").all_inner_texts()
    assert set(codes) == {"(HK)", "(CN)"}
    # the English report says the same in English
    page.click("#lang-switch button[data-lang=en]")
    en = page.locator("#glance").evaluate(_VISIBLE_TEXT_JS)
    assert "Buckets with a copy in a country or region of concern" in en
    assert "Hong Kong" in en and "Replica" in en and "Confirmed" in en and "香港" not in en
    w.clean()
    w.close()


@pytest.mark.browser
def test_nothing_found_says_so_plainly(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    demo = _demo()
    clean = _without(demo, keep=lambda f: False)
    assert not _glance_findings(clean) and clean.scan.coverage.complete
    w, page = _open(browser, clean, tmp_path / "clean")
    block = page.locator("#glance")
    assert "懸念国・地域に保管場所があるバケットはありません" in block.inner_text()
    assert block.locator("table").count() == 0 and "未確認" not in block.inner_text()
    w.close()

    # only unknown-country copies left: still none found, and it says what is unverified
    unknown_only = _without(demo, keep=lambda f: not _known(f))
    w, page = _open(browser, unknown_only, tmp_path / "unknown")
    text = page.locator("#glance").inner_text()
    assert "懸念国・地域に保管場所があるバケットはありません" in text
    assert "国・地域を確認できない保管場所があります" in text
    assert "partner-exchange" in page.locator("#glance-unverified").inner_text()
    w.close()

    # an incomplete scan says so, even when it found nothing
    cov = clean.scan.coverage.model_copy(update={"complete": False})
    incomplete = clean.model_copy(update={"scan": clean.scan.model_copy(update={"coverage": cov})})
    w, page = _open(browser, incomplete, tmp_path / "incomplete")
    text = page.locator("#glance").inner_text()
    assert "ありません" in text and "スキャンは完全ではありません" in text
    w.close()


@pytest.mark.browser
def test_hundreds_of_buckets_stay_compact(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    result = _concern_estate(300)
    assert len({f.resource.uid for f in _glance_findings(result) if f.resource}) >= 300
    countries = ("CN", "HK", "RU", "BY", "KP", "IR", "SY", "CU", "VE", "MO", "AF", "MM")
    for name, estate in (("real", result), ("spread", _spread(result, countries))):
        w, page = _open(browser, estate, tmp_path / name)
        box = page.locator("#glance").bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1.5 * VIEWPORT["height"], name
        expected = {f.location.country for f in _glance_findings(estate) if f.location} - {None}
        shown = page.locator("#glance tbody[data-country]").evaluate_all(
            "gs => gs.map(g => g.dataset.country)"
        )
        assert set(shown) == expected and len(shown) == len(expected)
        # the rest is counted and linked to the findings table (no script needed)
        more = page.locator("#glance a.glance-more")
        assert more.count() == len(expected)
        assert more.first.get_attribute("href") == "#findings"
        w.close()


@pytest.mark.browser
def test_hostile_bucket_names_stay_inert(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    result = build_result()
    hostile_name = HOSTILE + HOSTILE_IMG
    findings = tuple(
        f.model_copy(update={"resource": f.resource.model_copy(update={"name": hostile_name})})
        if f.resource is not None and _known(f)
        else f
        for f in result.findings
    )
    w, page = _open(browser, result.model_copy(update={"findings": findings}), tmp_path)
    block = page.locator("#glance")
    assert hostile_name in block.locator("td.glance-bucket code").first.inner_text()
    assert block.locator("img, script, svg").count() == 0
    assert page.evaluate("document.scripts.length") == 2
    w.clean()
    w.close()

"""The coverage card's verdict and the findings filters a link can reopen, in headless Chromium.

"Complete" (完全) only when every scope was read and nothing is unverified; the country filter
offers 不明; the filter state lives in the URL fragment (replaced, not pushed, per change), and a
page opened with such a fragment shows the same rows; #item-N and #b-N anchors keep working.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.model import Finding
from residency_audit.report.facts import finding_sort_key
from residency_audit.results import ScanResult
from tests.report_builders import build_result, demo_result, synthetic_result
from tests.test_report_browser import Watched, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScanResult, str]]:
    """The demo's Japanese report, written once for the tests that only read it."""
    result = demo_result()
    out = tmp_path_factory.mktemp("demo")
    report.write_reports(result, out, lang="ja", formats=("html",))
    yield result, (out / "report.html").as_uri()


def _visit(chromium: Any, url: str, hash_: str = "") -> tuple[Watched, Any]:
    w = Watched(chromium)
    w.url = url
    w.page.goto(url + hash_, wait_until="load")
    return w, w.page


def _rows(page: Any) -> list[int]:
    return [int(i) for i in page.locator("#findings-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-i'))"
    )]  # fmt: skip


def _rows_after(page: Any, before: list[int]) -> list[int]:
    """The rows once the table has been drawn again (it redraws on an event after a click)."""
    page.wait_for_function(
        "before => JSON.stringify(Array.from(document.querySelectorAll("
        "'#findings-table tbody tr'), r => +r.getAttribute('data-i'))) !== JSON.stringify(before)",
        arg=before,
    )
    return _rows(page)


def _ordered(result: ScanResult) -> list[Finding]:
    return sorted(result.findings, key=finding_sort_key)


def _all_clear(result: ScanResult) -> ScanResult:
    """The result with every unverified finding dropped and no gap or unknown location counted."""
    cov = result.scan.coverage.model_copy(update={"buckets_with_gaps": 0, "locations_unknown": 0})
    scan = result.scan.model_copy(update={"coverage": cov})
    kept = tuple(f for f in result.findings if not f.unverified)
    return result.model_copy(update={"scan": scan, "findings": kept})


def test_coverage_card_says_complete_only_when_nothing_is_unverified(
    browser: Any,  # noqa: F811
    demo: tuple[ScanResult, str],
    tmp_path: Path,
) -> None:
    # the demo reads every scope, but leaves findings, a bucket and locations unverified
    result, url = demo
    cov = result.scan.coverage
    assert cov.complete and any(f.unverified for f in result.findings)
    w, page = _visit(browser, url)
    card = page.locator("#coverage-card")
    verdict = page.locator("#coverage-verdict").inner_text()
    assert "完全" not in verdict and f"{cov.scopes_total} / {cov.scopes_total}" in verdict
    assert "読み取り済み" in verdict and "未確認の事項が残っています" in card.inner_text()
    # the unverified findings by item: the same counts the guideline matrix is built from
    line = page.locator("#coverage-unverified").inner_text()
    assert line.startswith("未確認の指摘（項目別）")
    by_item = {
        item: sum(f.unverified and item in f.guideline_items for f in _ordered(result))
        for f in result.findings
        for item in f.guideline_items
    }
    for item, n in by_item.items():
        if n and item.startswith("(2)"):
            assert f"{item}: {n}" in line
    page.click("#lang-switch button[data-lang=en]")
    assert "scopes read" in page.locator("#coverage-verdict").inner_text()
    assert "Items remain unverified" in card.inner_text()
    assert "Complete" not in page.locator("#coverage-verdict").inner_text()
    w.clean()
    w.close()

    w = Watched(browser)
    page = w.open(_all_clear(result), tmp_path / "clear", lang="ja")
    assert page.locator("#coverage-verdict").inner_text() == "完全"
    assert page.locator("#coverage-unverified").count() == 0
    assert page.locator("#coverage-remaining").count() == 0
    page.click("#lang-switch button[data-lang=en]")
    assert page.locator("#coverage-verdict").inner_text() == "Complete"
    w.close()


def test_incomplete_scan_is_never_complete(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    result = build_result()  # one scope of four could not be read completely
    cov = result.scan.coverage
    assert not cov.complete
    w = Watched(browser)
    page = w.open(_all_clear(result), tmp_path, lang="ja")
    verdict = page.locator("#coverage-verdict").inner_text()
    assert "完全" not in verdict
    assert f"{cov.scopes_complete} / {cov.scopes_total}" in verdict
    w.close()


def test_country_filter_offers_unknown(browser: Any, demo: tuple[ScanResult, str]) -> None:  # noqa: F811
    result, url = demo
    ordered = _ordered(result)
    w, page = _visit(browser, url)
    option = page.locator("#f-country option[value=unknown]")
    assert option.inner_text() == "不明"
    page.select_option("#f-country", "unknown")
    rows = _rows(page)
    assert rows and all(
        ordered[i].location is not None and ordered[i].location.country is None  # type: ignore[union-attr]
        for i in rows
    )
    expected = [
        i
        for i, f in enumerate(ordered)
        if f.location and f.location.country is None and f.suppression is None
    ]
    assert rows == expected
    assert all(
        "不明" in c for c in page.locator("#findings-table tbody td:nth-child(4)").all_inner_texts()
    )
    w.clean()
    w.close()


def test_filters_live_in_the_fragment_and_a_link_reopens_them(
    browser: Any,  # noqa: F811
    demo: tuple[ScanResult, str],
) -> None:
    url = demo[1]
    w, page = _visit(browser, url)
    history_before = page.evaluate("history.length")
    page.select_option("#f-item", "(2)-1")
    page.select_option("#f-country", "HK")
    page.locator("#f-text").press_sequentially("repl")  # one input event per keystroke
    shown = _rows(page)
    assert shown and page.evaluate("history.length") == history_before  # replaced, not pushed
    fragment = page.evaluate("location.hash")
    assert fragment.startswith("#findings?") and "country=HK" in fragment and "q=repl" in fragment
    w.close()

    # the same address in a new tab: the same filters, the same rows, the table in view
    w, page = _visit(browser, url, fragment)
    assert page.input_value("#f-item") == "(2)-1" and page.input_value("#f-country") == "HK"
    assert page.input_value("#f-text") == "repl"
    assert _rows(page) == shown
    assert page.locator("#filters").evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }"
    )
    # reset: the fragment is dropped again
    page.click("#f-reset")
    page.wait_for_function("location.hash === ''")
    w.clean()
    w.close()


def test_page_number_and_summary_links_are_in_the_fragment(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = synthetic_result(120, history=False)  # more than one page of findings
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="en")
    page.click("#f-pager button >> text=Next")
    assert page.evaluate("location.hash") == "#findings?page=2"
    second = _rows(page)
    w.close()
    w, page = _visit(browser, w.url, "#findings?page=2")
    assert "Page 2 of" in page.locator("#f-pager").inner_text() and _rows(page) == second
    # a severity count in the summary filters the table and names the filter in the address
    page.click("#severity-card a.sevcount[data-filter-severity=critical]")
    assert page.evaluate("location.hash") == "#findings?severity=critical"
    critical = _rows_after(page, second)  # the table filters on the hashchange that follows
    assert {result_sev(result, i) for i in critical} == {"critical"}
    assert page.locator("#filters").evaluate("e => e.getBoundingClientRect().top < innerHeight")
    # the same link again keeps the filter in the address (not the link's bare #findings)
    page.evaluate("scrollTo(0, 0)")
    page.click("#severity-card a.sevcount[data-filter-severity=critical]")
    assert page.evaluate("location.hash") == "#findings?severity=critical"
    assert _rows(page) == critical
    # a value the page does not offer is ignored, not an error
    page.evaluate("location.hash = '#findings?severity=bogus&item=%E0%A4%A'")
    page.wait_for_function("document.getElementById('f-severity').value === ''")
    w.clean()
    w.close()


def result_sev(result: ScanResult, i: int) -> str:
    return _ordered(result)[i].severity.value


def test_item_and_bucket_anchors_keep_working(browser: Any, demo: tuple[ScanResult, str]) -> None:  # noqa: F811
    result, url = demo
    w, page = _visit(browser, url, "#b-3")
    assert page.locator("#bucket-list details.bucket").count() == 1
    assert page.locator("#b-3").is_visible() and page.evaluate("location.hash") == "#b-3"
    w.close()
    w, page = _visit(browser, url, "#item-2")
    assert page.evaluate("location.hash") == "#item-2"  # not overwritten by the filters
    assert page.locator("#item-2").evaluate("e => e.getBoundingClientRect().top < innerHeight")
    assert len(_rows(page)) == sum(f.suppression is None for f in result.findings)
    w.close()

"""report.html in a real headless Chromium (Debian ``chromium`` driven by Playwright).

Loaded from ``file://``: no request besides the file itself, no console error, no dialog; hostile
payloads render as text; the language switch changes what is shown; the filters show exactly the
matching findings; paging and printing; screenshots saved under ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.report.facts import finding_sort_key
from residency_audit.results import ScanResult
from tests.report_builders import (
    HOSTILE,
    HOSTILE_IMG,
    ROOT,
    build_result,
    demo_result,
    synthetic_result,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI would fail here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Watched:
    """A page that records every request, console error, page error and dialog."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

    def open(self, result: ScanResult, tmp_path: Path, lang: str = "ja", hash_: str = "") -> Any:
        report.write_reports(result, tmp_path, lang=lang, formats=("html",))
        self.url = (tmp_path / "report.html").as_uri()
        self.page.goto(self.url + hash_, wait_until="load")
        return self.page

    def clean(self) -> None:
        assert self.requests == [self.url] or self.requests == [
            self.url + "#" + self.url.split("#")[-1]
        ]
        assert self.errors == [] and self.dialogs == []

    def close(self) -> None:
        self.context.close()


def _visible_rows(page: Any) -> list[int]:
    return [int(i) for i in page.locator("#findings-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-i'))"
    )]  # fmt: skip


def test_offline_safe_hostile_text_and_item_filter(browser: Any, tmp_path: Path) -> None:
    result = build_result(weakened=True)
    w = Watched(browser)
    page = w.open(result, tmp_path)
    assert w.requests == [w.url]  # nothing fetched: no font, script, image or anything else
    assert w.errors == [] and w.dialogs == []

    ordered = sorted(result.findings, key=finding_sort_key)
    active = [i for i, f in enumerate(ordered) if f.suppression is None]
    assert _visible_rows(page) == active  # active findings, worst first
    page.select_option("#f-item", "(2)-1")
    expected = [i for i in active if "(2)-1" in ordered[i].guideline_items]
    assert _visible_rows(page) == expected and len(expected) == 2
    for cell in page.locator("#findings-table tbody tr td:nth-child(2)").all_inner_texts():
        assert "(2)-1" in cell
    page.select_option("#f-severity", "critical")
    assert len(_visible_rows(page)) == 1
    page.click("#f-reset")
    page.select_option("#f-state", "suppressed")
    assert [ordered[i].suppression is not None for i in _visible_rows(page)] == [True]
    page.click("#f-reset")
    page.select_option("#f-country", "HK")
    assert {ordered[i].location.country for i in _visible_rows(page)} == {"HK"}  # type: ignore[union-attr]
    page.click("#f-reset")
    page.fill("#f-text", "asia-multi")
    assert len(_visible_rows(page)) == 2
    page.fill("#f-text", "")
    page.click("#findings-table th[data-sort=resource] button")
    names = page.locator("#findings-table tbody tr td:nth-child(3)").all_inner_texts()
    firsts = [n.split("\n")[0] for n in names]
    assert firsts == sorted(firsts, key=lambda n: (n[0].isascii(), n))  # scope-level first

    # the hostile bucket's card: every payload is text, nothing ran, no element was injected
    page.click("#findings-table tbody a:text-is('replicated-hk') >> nth=0")
    card = page.locator("#bucket-list details.bucket")
    assert card.count() == 1
    text = card.inner_text()
    assert HOSTILE in text and HOSTILE_IMG in text and "=cmd" in text
    assert page.locator("#bucket-list img, #bucket-list script, #bucket-list svg").count() == 0
    assert page.evaluate("document.scripts.length") == 2
    assert w.errors == [] and w.dialogs == []
    w.close()


def test_language_switch_changes_visible_text(browser: Any, tmp_path: Path) -> None:
    result = demo_result(history=True)
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="ja")
    heading = page.locator("#findings h2")
    assert "指摘事項" in heading.inner_text() and "Findings" not in heading.inner_text()
    first_msg = page.locator("#findings-table tbody tr >> nth=0").locator("td").nth(4)
    ordered = sorted(result.findings, key=finding_sort_key)
    assert first_msg.inner_text().startswith(ordered[0].message.ja[:20])
    page.click("#lang-switch button[data-lang=en]")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Findings" in heading.inner_text() and "指摘事項" not in heading.inner_text()
    assert first_msg.inner_text().startswith(ordered[0].message.en[:20])
    assert "Where the data lives" in page.locator("#map h2").inner_text()
    assert page.locator("#f-severity option[value=critical]").inner_text() == "Critical"
    assert page.title().startswith("Data residency audit report")
    page.click("#lang-switch button[data-lang=ja]")
    assert "指摘事項" in heading.inner_text()
    assert w.errors == [] and w.dialogs == []
    w.close()


def test_screenshots_of_summary_and_map(browser: Any, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    w = Watched(browser)
    page = w.open(demo_result(history=True), tmp_path, lang="ja")
    page.locator("#summary").screenshot(path=str(ARTIFACTS / "report-summary.png"))
    page.locator("#map").screenshot(path=str(ARTIFACTS / "report-map.png"))
    unknown = page.locator("#map-svg .node.t-unknown .label")
    assert unknown.evaluate("e => e.textContent.trim() !== '' && e.getBBox().width > 0")
    ja_width = unknown.evaluate("e => e.getBBox().width")
    page.click("#lang-switch button[data-lang=en]")
    # the unknown node's label follows the language switch like every other text
    assert unknown.evaluate("e => e.getBBox().width") != ja_width
    page.locator("#map .map-figure").screenshot(path=str(ARTIFACTS / "report-map-en.png"))
    for name in ("report-summary.png", "report-map.png", "report-map-en.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
    # the map: concern countries drawn as diamonds, flows as arrows
    assert page.locator("#map-svg .node.t-concern rect").count() == 2  # HK, CN
    assert page.locator("#map-svg .flow.to-concern").count() >= 3
    assert w.errors == [] and w.dialogs == []
    w.close()


def test_paging_and_print_show_every_matching_row(browser: Any, tmp_path: Path) -> None:
    result = synthetic_result(200, history=False)
    active = sum(f.suppression is None for f in result.findings)
    assert active > 400
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="en")
    assert len(_visible_rows(page)) == 100
    assert "Page 1 of" in page.locator("#f-pager").inner_text()
    page.click("#f-pager button >> text=Next")
    assert len(_visible_rows(page)) == 100 and "Page 2 of" in page.locator("#f-pager").inner_text()
    # what the browser does when printing: the print media, and beforeprint/afterprint events
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert len(_visible_rows(page)) == active
    assert not page.locator("#filters").is_visible() and not page.locator("#f-pager").is_visible()
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert len(_visible_rows(page)) == 100
    assert w.errors == [] and w.dialogs == []
    w.close()


def test_readable_without_javascript(browser: Any, tmp_path: Path) -> None:
    w = Watched(browser, java_script_enabled=False)
    page = w.open(build_result(), tmp_path, lang="en")
    assert page.locator("#summary").is_visible() and page.locator("#map-svg").is_visible()
    assert "Findings" in page.locator("#findings h2").inner_text()
    assert page.locator("#findings noscript").count() == 1
    assert not page.locator("#filters").is_visible()
    assert page.locator("#guideline article.item-card").count() == 7
    w.close()

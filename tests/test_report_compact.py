"""Compact findings (issue 13, part 5) in headless Chromium, on the demo estate at 1440 px.

A finding row is at most two lines; each remediation is written once, in a numbered block the
rows refer to; codes never break inside; bucket cards are closed until opened; a country picked
on the map filters the at-a-glance block and the findings table instead of opening cards; marked
codes and quotations in messages render as elements and a search ignores the marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from residency_audit import report
from residency_audit.markup import plain
from residency_audit.model import Finding
from residency_audit.report.facts import finding_sort_key
from residency_audit.results import ScanResult
from tests.report_builders import demo_result
from tests.test_report_browser import ARTIFACTS, Watched, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScanResult, str]]:
    result = demo_result(history=True)
    out = tmp_path_factory.mktemp("compact")
    report.write_reports(result, out, lang="ja", formats=("html",))
    yield result, (out / "report.html").as_uri()


def _open(chromium: Any, url: str, hash_: str = "") -> Watched:
    w = Watched(chromium)
    w.page.set_viewport_size(VIEWPORT)
    w.url = url
    w.page.goto(url + hash_, wait_until="load")
    return w


_TEXTS_JS = "els => els.map(e => e.textContent)"


def _bare(text: str) -> str:
    """The text as the page holds it: marks gone (a quotation's marks are drawn by CSS)."""
    return re.sub("[\ue001-\ue004]", "", text)


def _ordered(result: ScanResult) -> list[Finding]:
    return sorted(result.findings, key=finding_sort_key)


def _active(result: ScanResult) -> list[tuple[int, Finding]]:
    return [(i, f) for i, f in enumerate(_ordered(result)) if f.suppression is None]


# each row's height against two lines of its tallest cell's line height, plus that cell's padding
_ROW_LINES_JS = """rows => rows.map(tr => {
  const cells = [...tr.cells].map(td => {
    const cs = getComputedStyle(td);
    const lh = parseFloat(cs.lineHeight);
    return 2 * lh + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom)
      + parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
  });
  return [tr.getAttribute('data-i'), tr.getBoundingClientRect().height, Math.max(...cells)];
})"""


def test_every_finding_row_is_at_most_two_lines(browser: Any, demo: tuple[ScanResult, str]) -> None:  # noqa: F811
    result, url = demo
    w = _open(browser, url)
    page = w.page
    page.select_option("#f-state", "any")  # the suppressed rows too
    rows = page.locator("#findings-table tbody tr").evaluate_all(_ROW_LINES_JS)
    assert len(rows) == len(result.findings)
    tall = [(i, round(h, 1), round(limit, 1)) for i, h, limit in rows if h > limit + 1]
    assert tall == []
    page.click("#lang-switch button[data-lang=en]")  # longer words, the same two lines
    rows_en = page.locator("#findings-table tbody tr").evaluate_all(_ROW_LINES_JS)
    assert len(rows_en) == len(rows)
    assert [(i, h, limit) for i, h, limit in rows_en if h > limit + 1] == []
    page.click("#lang-switch button[data-lang=ja]")
    # the whole message is still there: clamped on screen, and in the title
    first = page.locator("#findings-table tbody tr >> nth=0")
    i = int(first.get_attribute("data-i") or "0")
    message = plain(_ordered(result)[i].message.ja, "ja")
    assert first.locator("div.msg").get_attribute("title") == message
    first.locator("div.msg").click()
    assert first.bounding_box()["height"] > rows[0][2]  # type: ignore[index]  # opened: all of it
    page.locator("#findings").screenshot(path=str(ARTIFACTS / "findings-compact.png"))
    assert w.errors == []
    w.close()


def test_each_remediation_is_written_once(browser: Any, demo: tuple[ScanResult, str]) -> None:  # noqa: F811
    result, url = demo
    active = _active(result)
    w = _open(browser, url)
    page = w.page
    table = page.locator("#findings-table tbody").inner_text()
    blocks = page.locator("#f-fixes details.fix")
    texts = blocks.locator(".fix-text").evaluate_all(_TEXTS_JS)  # closed: not laid out
    remediations = [_bare(f.remediation.ja) for _, f in active]
    assert sorted(texts) == sorted(set(remediations))  # every one, each once
    for text in texts:
        assert text not in table  # never in a row
    # a row names its block; the block holds that finding's remediation and how many rows it has
    for i, f in active:
        ref = page.locator(f"#findings-table tbody tr[data-i='{i}'] a.fix-ref")
        target = (ref.get_attribute("href") or "")[1:]
        block = page.locator(f"#{target}")
        assert block.locator(".fix-text").text_content() == _bare(f.remediation.ja)
        n = sum(g.remediation == f.remediation for _, g in active)
        assert f"（{n} 件）" in block.locator("summary").inner_text()
    # closed until asked; a row's number opens it
    assert page.locator("#f-fixes details.fix[open]").count() == 0
    i, _ = active[0]
    page.click(f"#findings-table tbody tr[data-i='{i}'] a.fix-ref")
    assert page.locator("#f-fixes details.fix[open]").count() == 1
    # a filter shows only the blocks of the rows it keeps
    page.select_option("#f-item", "(1)-2")
    kept = {_bare(f.remediation.ja) for _, f in active if "(1)-2" in f.guideline_items}
    shown = set(blocks.locator(".fix-text").evaluate_all(_TEXTS_JS))
    assert shown == kept
    assert w.errors == []
    w.close()


# every <code> in the table and an opened card, as (its text, on how many lines its boxes lie,
# white-space): a code cut with an ellipsis has several boxes, all on one line
_CODE_LINES_JS = """codes => codes.map(c => [c.textContent,
  new Set([...c.getClientRects()].map(r => Math.round(r.bottom / 4))).size,
  getComputedStyle(c).whiteSpace])"""


def test_codes_never_break_inside(browser: Any, demo: tuple[ScanResult, str]) -> None:  # noqa: F811
    url = demo[1]
    w = _open(browser, url)
    page = w.page
    page.select_option("#f-state", "any")
    codes = page.locator("#findings-table tbody code").evaluate_all(_CODE_LINES_JS)
    assert any(text.startswith("arn:") for text, _, _ in codes)  # the ARNs are among them
    assert any(text.startswith("ap-") for text, _, _ in codes)  # and the region codes
    assert [c for c in codes if c[1] > 1] == []  # one line box each: never split
    assert {ws for _, _, ws in codes} == {"nowrap"}
    page.click("#findings-table tbody tr >> nth=0 >> td.rs a")  # the bucket's card, opened
    page.wait_for_selector("#bucket-list details.bucket[open]")  # after the hash change
    card = page.locator("#bucket-list details.bucket[open]")
    assert card.count() == 1
    codes = card.locator("code").evaluate_all(_CODE_LINES_JS)
    assert codes and [c for c in codes if c[1] > 1] == []
    assert w.errors == []
    w.close()


def test_bucket_cards_are_closed_with_a_summary_line(
    browser: Any,  # noqa: F811
    demo: tuple[ScanResult, str],
) -> None:
    result, url = demo
    w = _open(browser, url)
    page = w.page
    cards = page.locator("#bucket-list details.bucket")
    n = cards.count()
    assert n == min(40, len(result.inventory.buckets))
    assert page.locator("#bucket-list details.bucket[open]").count() == 0
    hk = next(
        b
        for b in result.inventory.buckets
        if any(loc.resolution and "HK" in loc.resolution.countries for loc in b.locations)
    )
    card = page.locator(
        "#bucket-list details.bucket", has=page.locator(f"summary strong:text-is('{hk.name}')")
    )
    summary = card.locator("summary").inner_text()
    named = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}[hk.provider]
    assert named in summary and hk.scope in summary and "香港" in summary  # names, not codes
    worst = max(
        (
            f
            for f in result.findings
            if f.resource and f.resource.uid == hk.uid and not f.suppression
        ),
        key=lambda f: ["info", "low", "medium", "high", "critical"].index(f.severity.value),
    )
    assert {"critical": "重大", "high": "高"}[worst.severity.value] in summary
    assert hk.uid not in card.inner_text()  # the details are not drawn until opened
    card.locator("summary").click()
    card.locator("dl.kv").wait_for()  # drawn on the toggle event, which comes after the click
    assert card.get_attribute("open") is not None and hk.uid in card.inner_text()
    assert w.errors == []
    w.close()


def test_a_country_on_the_map_filters_the_glance_block_and_the_table(
    browser: Any,  # noqa: F811
    demo: tuple[ScanResult, str],
) -> None:
    result, url = demo
    w = _open(browser, url)
    page = w.page
    groups = page.locator("#glance tbody.glance-group")
    countries = groups.evaluate_all("gs => gs.map(g => g.getAttribute('data-country'))")
    assert "HK" in countries and len(countries) > 1
    page.click("#map-svg .node[data-filter-country=HK]")
    visible = [
        c for c in countries if page.locator(f"#glance tbody[data-country={c}]").is_visible()
    ]
    assert visible == ["HK"]
    bar = page.locator("#glance-filter")
    assert bar.is_visible() and "香港" in bar.inner_text()
    assert not page.locator("#glance-unverified").is_visible()
    assert page.locator("#f-country").input_value() == "HK"
    assert "country=HK" in page.evaluate("location.hash")
    rows = [int(i) for i in page.locator("#findings-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-i'))"
    )]  # fmt: skip
    ordered = _ordered(result)
    expected = [i for i, f in _active(result) if f.location and "HK" in f.location.countries]
    assert rows == expected
    assert page.locator("#bucket-list details.bucket[open]").count() == 0  # no card opened
    # a link with the filter reopens the same view, the glance block included
    hash_ = page.evaluate("location.hash")
    w.close()
    w = _open(browser, url, hash_)
    page = w.page
    assert page.locator("#glance-filter").is_visible()
    assert not page.locator("#glance tbody[data-country=CN]").is_visible()
    page.click("#glance-filter button")
    assert all(page.locator(f"#glance tbody[data-country={c}]").is_visible() for c in countries)
    assert not page.locator("#glance-filter").is_visible()
    assert page.locator("#f-country").input_value() == ""
    # the country table's count does the same, from the keyboard too
    page.locator("#map-svg .node[data-filter-country=CN]").focus()
    page.keyboard.press("Enter")
    assert page.locator("#f-country").input_value() == "CN"
    assert len(ordered) and w.errors == []
    w.close()


def test_marked_codes_and_quotations_render_as_elements(
    browser: Any,  # noqa: F811
    demo: tuple[ScanResult, str],
) -> None:
    result, url = demo
    w = _open(browser, url)
    page = w.page
    table = page.locator("#findings-table tbody")
    text = table.inner_text()
    assert not any(c in text for c in "\ue000\ue001\ue002\ue003\ue004")
    marked = next(f for _, f in _active(result) if "\ue001" in f.message.ja)
    code = marked.message.ja.split("\ue001", 1)[1].split("\ue002", 1)[0]
    assert code in table.locator("div.msg code").all_inner_texts()
    quoted = [f for _, f in _active(result) if "\ue003" in f.message.ja]
    if quoted:
        q = table.locator("div.msg q.quoted")
        assert q.count() >= 1 and q.first.get_attribute("lang") == "en"
    # a search matches the text as a reader sees it, across a code's edges
    before = marked.message.ja.split("\ue001", 1)[0][-3:]
    page.fill("#f-text", before + code)
    shown = page.locator("#findings-table tbody tr").count()
    assert shown >= 1
    assert w.errors == []
    w.close()

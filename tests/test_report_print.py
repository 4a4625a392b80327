"""The printed audit record (issue 13, 7): the demo estate's report printed to A4 by headless
Chromium, as a reader who files it would check it: at most 20 pages in either language, a page
number "n / N" and the scan id on every page, the findings table's header repeated whole on each
page it continues on, nothing fetched. The PDF and a picture of the print preview are saved under
``test-artifacts/``.

Page text comes from the PDF itself (no PDF library is in the lock file): Chromium writes plain
objects, Flate streams and a ToUnicode map per font, which is all ``_page_texts`` reads.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.markup import plain
from residency_audit.report.facts import finding_sort_key
from residency_audit.report.labels import all_labels
from residency_audit.report.printing import print_css
from residency_audit.results import ScanResult
from tests.report_builders import demo_result, synthetic_result
from tests.test_report_browser import ARTIFACTS, Watched, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

MAX_PAGES = 20
# the findings table's printed header as it reads across (the location is in the message)
HEADER_KEYS = ("col.severity", "col.items", "col.resource", "col.message", "col.remediation")
# the width print.css leaves inside A4's margins (210 mm less 2 x 10 mm), in CSS px
A4_CONTENT_PX = (210 - 2 * 10) / 25.4 * 96


# --- the text of each page of a Chromium PDF ---------------------------------------------------
_OBJ = re.compile(rb"(\d+)\s+0\s+obj\b(.*?)\bendobj", re.S)
_REF = rb"(\d+)\s+0\s+R"
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>]+|\[|\]|[^\s/\[\]()<>]+")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Every object: its dictionary and its (inflated) stream."""
    out = {}
    for m in _OBJ.finditer(pdf):
        head, stream = m.group(2), b""
        start = re.search(rb"stream\r?\n", head)
        if start:
            body = head[start.end() : head.rindex(b"endstream")]
            head = head[: start.start()]
            stream = zlib.decompress(body) if b"/FlateDecode" in head else body
        out[int(m.group(1))] = (head, stream)
    return out


def _hex(s: bytes) -> bytes:
    s = re.sub(rb"\s", b"", s)
    return bytes.fromhex((s + b"0" * (len(s) % 2)).decode())


def _literal(s: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == 0x5C and i + 1 < len(s):  # backslash
            n = s[i + 1]
            if 0x30 <= n <= 0x37:
                j = i + 1
                while j < min(len(s), i + 4) and 0x30 <= s[j] <= 0x37:
                    j += 1
                out.append(int(s[i + 1 : j], 8) & 0xFF)
                i = j
                continue
            if n not in (10, 13):
                out.append(_ESCAPES.get(n, n))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return bytes(out)


def _cmap(data: bytes) -> tuple[int, dict[int, str]]:
    """A ToUnicode CMap: the code width in bytes and code -> text."""
    space = re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", data)
    width = len(space.group(1)) // 2 if space else 1
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            table[int(src, 16)] = _hex(dst).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[.*?\]|<[0-9A-Fa-f]*>)"
        for lo, hi, dst in re.findall(pattern, block, re.S):
            first = int(lo, 16)
            if dst.startswith(b"["):
                for k, d in enumerate(re.findall(rb"<([0-9A-Fa-f]*)>", dst)):
                    table[first + k] = _hex(d).decode("utf-16-be", "replace")
                continue
            base = _hex(dst[1:-1])
            for k in range(int(hi, 16) - first + 1):
                value = (int.from_bytes(base, "big") + k).to_bytes(len(base), "big")
                table[first + k] = value.decode("utf-16-be", "replace")
    return width, table


def _page_texts(pdf: bytes) -> list[str]:
    """The text drawn on each page, in page order (text objects separated by newlines)."""
    objs = _objects(pdf)
    catalog = next(h for h, _ in objs.values() if re.search(rb"/Type\s*/Catalog\b", h))
    pages: list[int] = []

    def walk(n: int) -> None:
        head = objs[n][0]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", head, re.S)
        if kids is None:
            pages.append(n)
        for k in re.findall(_REF, kids.group(1) if kids else b""):
            walk(int(k))

    root = re.search(rb"/Pages\s+" + _REF, catalog)
    assert root is not None
    walk(int(root.group(1)))
    cmaps: dict[int, tuple[int, dict[int, str]]] = {}
    texts = []
    for n in pages:
        head = objs[n][0]
        fonts: dict[bytes, tuple[int, dict[int, str]]] = {}
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", head, re.S)
        for name, ref in re.findall(
            rb"/([^\s/]+)\s+" + _REF, font_dict.group(1) if font_dict else b""
        ):
            if int(ref) not in cmaps:
                to_unicode = re.search(rb"/ToUnicode\s+" + _REF, objs[int(ref)][0])
                cmaps[int(ref)] = (
                    _cmap(objs[int(to_unicode.group(1))][1]) if to_unicode else (1, {})
                )
            fonts[name] = cmaps[int(ref)]
        contents = re.search(rb"/Contents\s*(\[.*?\]|" + _REF + rb")", head, re.S)
        refs = re.findall(_REF, contents.group(0)) if contents else []
        data = b"\n".join(objs[int(r)][1] for r in refs)
        font: tuple[int, dict[int, str]] = (1, {})
        out: list[str] = []
        operands: list[bytes] = []
        for tok in _TOKEN.findall(data):
            if tok[:1] in (b"(", b"<", b"/", b"[", b"]") or re.fullmatch(rb"[-+.\d]+", tok):
                operands.append(tok)
                continue
            if tok == b"Tf" and len(operands) >= 2:
                font = fonts.get(operands[-2][1:], (1, {}))
            elif tok in (b"Tj", b"TJ", b"'", b'"'):
                width, table = font
                for s in (o for o in operands if o[:1] in (b"(", b"<")):
                    raw = _hex(s[1:-1]) if s[:1] == b"<" else _literal(s[1:-1])
                    for i in range(0, len(raw) - width + 1, width):
                        out.append(table.get(int.from_bytes(raw[i : i + width], "big"), ""))
            elif tok == b"ET":
                out.append("\n")
            operands = []
        texts.append("".join(out))
    return texts


def _compact(text: str) -> str:
    """Text as a reader compares it: no spaces, compatibility forms folded (⼤ is 大)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --- printing the demo ---------------------------------------------------------------------------
class Printed:
    def __init__(self, pdf: bytes, requests: list[str], url: str) -> None:
        self.pdf = pdf
        self.pages = _page_texts(pdf)
        self.requests = requests
        self.url = url


def _print(
    chromium: Any, result: ScanResult, out: Path, lang: str, preview: Path | None = None
) -> Printed:
    """The report printed as Chromium prints it to PDF; every request but the file is refused."""
    out.mkdir(parents=True, exist_ok=True)
    w = Watched(chromium)
    report.write_reports(result, out, lang=lang, formats=("html",))
    url = (out / "report.html").as_uri()
    w.page.route(
        "**/*", lambda route: route.continue_() if route.request.url == url else route.abort()
    )
    w.page.goto(url, wait_until="load")
    w.page.emulate_media(media="print")
    if preview is not None:
        # the print preview as an A4 sheet is wide (210 mm at 96 dpi): its first two pages
        w.page.set_viewport_size({"width": 794, "height": 1123})
        w.page.screenshot(
            path=str(preview),
            clip={"x": 0, "y": 0, "width": 794, "height": 2 * 1123},
            full_page=True,
        )
    pdf = w.page.pdf(format="A4", print_background=True)
    assert w.errors == [] and w.dialogs == []
    printed = Printed(pdf, list(w.requests), url)
    w.close()
    return printed


@cache
def _demo() -> ScanResult:
    return demo_result(history=True)


@cache
def _demo_sized() -> ScanResult:
    """An estate the size of `make demo`'s (30 buckets, about 75 findings), with history."""
    return synthetic_result(30, history=True)


@pytest.fixture(scope="module")
def printed(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    out = {
        "ja": _print(
            browser,
            _demo(),
            tmp_path_factory.mktemp("ja"),
            "ja",
            ARTIFACTS / "report-print-preview.png",
        ),
        "en": _print(browser, _demo(), tmp_path_factory.mktemp("en"), "en"),
    }
    (ARTIFACTS / "report-demo.pdf").write_bytes(out["ja"].pdf)
    return out


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_demo_prints_to_at_most_20_a4_pages(printed: dict[str, Printed], lang: str) -> None:
    pages = printed[lang].pages
    assert 1 < len(pages) <= MAX_PAGES
    # the page count is the PDF's own: its page tree says the same
    assert re.search(rb"/Type\s*/Pages\b[^>]*/Count\s+%d\b" % len(pages), printed[lang].pdf, re.S)
    for name in ("report-print-preview.png", "report-demo.pdf"):
        assert (ARTIFACTS / name).stat().st_size > 20_000


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_estate_the_size_of_make_demo_prints_to_at_most_20_pages(
    browser: Any,  # noqa: F811
    tmp_path: Path,
    lang: str,
) -> None:
    assert len(_demo_sized().inventory.buckets) == 30
    assert 1 < len(_print(browser, _demo_sized(), tmp_path, lang).pages) <= MAX_PAGES


# the table cells (outside the map's picture) whose content is wider than the cell
_OVERFULL_CELLS_JS = """() => Array.from(document.querySelectorAll('td, th'))
  .filter(c => c.offsetParent && !c.closest('svg') && c.scrollWidth > c.clientWidth + 1)
  .map(c => c.closest('table').className + ' column ' + (c.cellIndex + 1) + ': ' + c.textContent)"""


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_is_wider_than_the_page(browser: Any, tmp_path: Path, lang: str) -> None:  # noqa: F811
    """A table wider than the page makes Chromium shrink the whole printout to fit it."""
    w = Watched(browser)
    page = w.open(_demo_sized(), tmp_path, lang=lang)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": int(A4_CONTENT_PX), "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_PX
    # nor anything wider than its cell: it would be drawn over the next column
    assert page.evaluate(_OVERFULL_CELLS_JS) == []
    w.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_has_its_number_and_the_scan_id(printed: dict[str, Printed], lang: str) -> None:
    pages = printed[lang].pages
    scan_id = _demo().scan.id
    for n, text in enumerate(pages, start=1):
        compact = _compact(text)
        assert f"{n}/{len(pages)}" in compact, f"page {n} has no page number"
        assert scan_id in compact, f"page {n} has no scan id"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_findings_header_repeats_whole_on_every_page_of_the_table(
    printed: dict[str, Printed], lang: str
) -> None:
    labels = all_labels()
    header = "".join(_compact(labels[k][lang]) for k in HEADER_KEYS)
    with_header = [n for n, text in enumerate(printed[lang].pages) if header in _compact(text)]
    # the table spans pages in the demo; each page it continues on starts with all its labels
    assert len(with_header) >= 2
    assert with_header == list(range(with_header[0], with_header[-1] + 1))


def test_printing_fetches_nothing(printed: dict[str, Printed]) -> None:
    for p in printed.values():
        assert p.requests == [p.url]


def test_footer_rule_holds_the_scan_id_as_one_css_string() -> None:
    css = print_css('a"b; } </style>\\ スキャン')
    footer = css[css.rindex("@bottom-left") :]
    # one string literal: no quote, brace, angle bracket or backslash of the id left raw
    literal = re.fullmatch(r'@bottom-left \{ content: "([^"]*)"; \} \} \}\n', footer)
    assert literal is not None
    assert not re.search(r"[;{}<>]", literal.group(1))
    assert "\\00005c" in literal.group(1) and "\\0030b9" in literal.group(1)


def test_footer_shows_a_hostile_scan_id_as_text(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    hostile = (
        'スキャン"} @page { @bottom-left { content: "x" } } </style><script>alert(1)</script>\\'
    )
    demo = _demo()
    result = demo.model_copy(update={"scan": demo.scan.model_copy(update={"id": hostile})})
    pages = _print(browser, result, tmp_path, "en").pages
    assert len(pages) > 1
    for text in pages:
        assert _compact(hostile) in _compact(text)


def _snippet(text: str) -> str:
    """A piece of a message as it prints: the longest run between marks, spaces folded."""
    return _compact(max(re.split(r"[\ue000-\uf8ff]", plain(text)), key=len))[:40]


def test_every_matching_row_prints_without_the_print_events(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """page.pdf() fires no beforeprint: the report lays out for print on the media change."""
    result = synthetic_result(120, history=False)
    ordered = [f for f in sorted(result.findings, key=finding_sort_key) if f.suppression is None]
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="en")
    on_screen = page.locator("#findings-table tbody tr").count()
    assert on_screen < len(ordered)  # the table is paged on screen
    shown = {_snippet(f.message.en) for f in ordered[:on_screen]}
    later = [_snippet(f.message.en) for f in ordered[on_screen:]]
    unique = [m for m in later if m not in shown and later.count(m) == 1]
    assert unique  # a message that only a row past the first screen page has
    text = _compact("".join(_page_texts(page.pdf(format="A4"))))
    assert all(m in text for m in unique)
    w.close()

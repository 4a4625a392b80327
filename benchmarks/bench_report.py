"""Report benchmark: a 20,000-bucket scan rendered to report.html, opened in headless Chromium.

Builds the demo estate's buckets cloned to ``--buckets`` (default 20,000), evaluated by the real
catalog and rules (``jp-default``) with scan history, then measures

* render: ``render_html`` time in Python, and the file size;
* first render: from navigation start until the script has drawn the first page of the findings
  table and the bucket list (the page sets ``data-ready``), plus the browser's own load event;
* filter: selecting guideline item ``(2)-1``, a country, and a text search, each timed inside the
  page from the change event until layout is done (``offsetHeight`` forces it);
* print: drawing every matching row for printing (``beforeprint``), with the (2)-1 filter on;
* workbook: ``findings.xlsx`` written on its own through ``write_reports``, and its size.

Needs Debian's chromium at /usr/bin/chromium. Not run by the tests.

    .venv/bin/python benchmarks/bench_report.py --buckets 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from residency_audit.report import render_html, write_reports  # noqa: E402
from tests.report_builders import synthetic_result  # noqa: E402

TIME_FILTER = """([id, value]) => {
  const el = document.getElementById(id);
  const t0 = performance.now();
  el.value = value;
  el.dispatchEvent(new Event(id === 'f-text' ? 'input' : 'change', {bubbles: true}));
  document.body.offsetHeight;
  return [performance.now() - t0,
          document.querySelectorAll('#findings-table tbody tr').length,
          document.getElementById('f-shown').textContent];
}"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=20_000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    result = synthetic_result(args.buckets)
    t1 = time.perf_counter()
    page_html = render_html(result, "ja")
    t2 = time.perf_counter()
    print(f"buckets {args.buckets}, findings {len(result.findings)}")
    print(f"evaluate {t1 - t0:.1f} s, render_html {t2 - t1:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t3 = time.perf_counter()
        write_reports(result, out, formats=("html",))
        print(f"write html {time.perf_counter() - t3:.1f} s")
        size = (out / "report.html").stat().st_size
        print(f"report.html {size / 1e6:.1f} MB (rendered {len(page_html.encode()) / 1e6:.1f} MB)")
        # the workbook alone, written as the CLI writes it (built, then swapped in atomically)
        t_xlsx = time.perf_counter()
        write_reports(result, out / "xlsx", lang="ja", formats=("xlsx",))
        workbook = out / "xlsx" / "findings.xlsx"
        print(f"write findings.xlsx {time.perf_counter() - t_xlsx:.1f} s (target <= 15 s), "
              f"{workbook.stat().st_size / 1e6:.1f} MB")  # fmt: skip
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            start = time.perf_counter()
            page.goto((out / "report.html").as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_selector("html[data-ready]", timeout=120_000)
            wall = time.perf_counter() - start
            nav = page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
            )
            print(f"first render: {wall:.2f} s wall (DOMContentLoaded {nav[0] / 1000:.2f} s, "
                  f"load {nav[1] / 1000:.2f} s)")  # fmt: skip
            for label, target, value in (
                ("filter item (2)-1", "f-item", "(2)-1"),
                ("+ country HK", "f-country", "HK"),
                ("clear country", "f-country", ""),
                ("text search 'cad-archive-0001'", "f-text", "cad-archive-0001"),
                ("clear search", "f-text", ""),
            ):
                ms, rows, shown = page.evaluate(TIME_FILTER, [target, value])
                print(f"{label}: {ms:.0f} ms ({rows} rows drawn; {shown})")
            t4 = time.perf_counter()
            page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
            rows = page.locator("#findings-table tbody tr").count()
            print(f"print layout, (2)-1 filter on: {time.perf_counter() - t4:.1f} s ({rows} rows)")
            print(f"page errors: {errors or 'none'}")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

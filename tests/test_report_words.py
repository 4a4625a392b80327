"""Names, not codes (issue 13, 2 and 10): what a Japanese reader sees in the whole report.

The demo estate's report is opened in headless Chromium with every collapsed part opened and
every finding and bucket drawn. Its visible text -- outside code elements and outside quotations
of a cloud's own words (``<q lang="en">``) -- must carry no value of the model's enums, no
mechanism code, no setting (gap field) name and no evidence key, and no English sentence.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from residency_audit.model import (
    Certainty,
    Classification,
    EncryptionTier,
    PublicVerdict,
    Role,
    ScopeStatus,
    Severity,
)
from residency_audit.results import ScanResult
from residency_audit.terms import all_terms
from tests.report_builders import demo_result
from tests.test_report_browser import Watched, browser  # noqa: F401 - fixture

# every visible text node outside code elements and quotations, one per line
_VISIBLE_JA_JS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest('code, q[lang=en], script, style, svg title')) continue;
    if (!p.checkVisibility()) continue;
    const text = n.textContent.trim();
    if (text) out.push(text);
  }
  return out.join('\\n');
}"""

# Product and standard names a Japanese text writes in Latin letters. Anything else made of
# three or more Latin words in a row is an English sentence.
_NAMES = re.compile(
    r"Google Cloud|Cloud Storage|Cloud KMS|Key Vault|Managed HSM|AWS Backup|Azure Edge Zone|"
    r"Block Public Access|Multi-Region Access Point|Edge Zone|JavaScript|residency-audit|CISTEC|"
    r"Amazon CloudFront|Azure Front Door|Azure CDN|Cloud CDN|AWS DataSync|"
    r"Storage Transfer Service|Storage Insights|Azure Backup"
)
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'-]+(?:[ ,]+[A-Za-z][A-Za-z'-]+){2,}")


@cache
def _demo() -> ScanResult:
    return demo_result(history=True)


def _visible_japanese(chromium: Any, tmp_path: Path) -> str:
    w = Watched(chromium)
    w.page.set_viewport_size({"width": 1440, "height": 900})
    page = w.open(_demo(), tmp_path, lang="ja")
    page.wait_for_selector("html[data-ready]")
    text: str = page.evaluate(_VISIBLE_JA_JS)
    w.clean()  # nothing fetched, no script error
    return text


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_.:-]*[A-Za-z0-9]", text))


def test_japanese_report_shows_no_enum_value_code_or_key(
    browser: Any,  # noqa: F811 - fixture
    tmp_path: Path,
) -> None:
    text = _visible_japanese(browser, tmp_path)
    result = _demo()
    enums = {
        v.value
        for enum in (Role, Certainty, Severity, Classification, PublicVerdict, EncryptionTier)
        for v in enum  # type: ignore[attr-defined]
    } | {s.value for s in ScopeStatus}
    mechanisms = {loc.mechanism for b in result.inventory.buckets for loc in b.locations}
    fields = {g.field for b in result.inventory.buckets for g in b.gaps}
    keys = {k.split(".", 1)[1] for k in all_terms() if k.startswith(("evidence.", "encryption_"))}
    seen = _words(text)
    # "public" etc. are English words too: a value counts when it appears as a word of its own
    leaked = {w for w in seen if w in enums | mechanisms | fields | keys}
    assert not leaked, f"codes in visible Japanese text: {sorted(leaked)}"
    for line in text.splitlines():
        rest = _NAMES.sub("", line)
        run = _ENGLISH_RUN.search(rest)
        assert run is None, f"English in the Japanese report: {run.group()!r} in {line!r}"

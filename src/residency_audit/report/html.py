"""report.html: one self-contained page, rendered server-side with Jinja2 (autoescape on).

* The page's data is embedded once, as JSON in ``<script type="application/json">``, escaped so no
  value can close the script element (``<``, ``>``, ``&``, U+2028/U+2029 become ``\\uXXXX``).
* No raw control character reaches the page (HTML forbids them; a C1 character reference would
  even turn into a different letter): in the JSON each is a ``\\uXXXX`` escape, anywhere else it
  is shown as U+FFFD, and CR/CRLF become LF. TAB and LF stay. A lone surrogate, which UTF-8 cannot
  encode, is treated the same way.
* CSS and JS are inlined from package files; a Content-Security-Policy allows exactly those two
  blocks (by SHA-256) and nothing else -- no fetch, no other script, even if an escaping bug slipped
  through. Every external fetch is blocked by ``default-src 'none'``.
* Everything is readable with JavaScript off; the script only filters, searches and sorts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import tzinfo
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..evidence import gap_reason_text, reason_pair
from ..localtime import display_zone, local_date, local_when
from ..model import Bucket, Finding, Gap, Location
from ..plaintext import clean_text
from ..results import ScanResult
from ..spill import in_order
from . import geo, glance, provenance, view
from .countries import country_names
from .facts import (
    SEVERITIES_WORST_FIRST,
    bucket_sort_key,
    effective_certainty,
    finding_sort_key,
    is_unclassified,
)
from .gcpause import collector_paused
from .guideline_ref import guideline_reference
from .labels import Labels, all_labels
from .marks import marked_html
from .pagedata import REPORT_DATA_SCHEMA, PageData
from .printing import print_css
from .view import Keep

__all__ = ["REPORT_DATA_SCHEMA", "embed_json", "render_html"]

# server-rendered lists that can grow with the estate show this many entries (and count all)
LIST_CAP = view.LIST_CAP

# json.dumps escapes C0 controls itself; these it leaves raw (ensure_ascii=False)
# and the private-use marks (markup.py, the name placeholder): the page's last pass would take them
_JSON_SCRIPT_ESCAPES = re.compile("[<>&\u2028\u2029\x7f-\x9f\ue000-\ue004\ud800-\udfff]")


def embed_json(data: Any) -> Markup:
    """JSON safe to place inside a ``<script type="application/json">`` element.

    Only inside JSON strings can these characters occur, and there ``\\uXXXX`` means the same
    character, so ``JSON.parse`` gives back exactly the original data.
    """
    text = "".join(_json_pieces(data, _PIECE_DEPTH))
    text = _JSON_SCRIPT_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


# The page data's dicts are dumped a value at a time down to this depth (its ``findings`` and
# ``buckets`` columns are at depth 2): json.dumps of the whole builds one small string per token
# before joining them, some 3 million at 220,000 findings -- 150 MB for a 15 MB result.
_PIECE_DEPTH = 2


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    """Compact JSON of ``value`` in pieces; the same text as one ``json.dumps``."""
    if depth <= 0 or not isinstance(value, dict) or not value:
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return
    sep = "{"
    for key, item in value.items():
        yield sep + json.dumps(str(key), ensure_ascii=False) + ":"
        yield from _json_pieces(item, depth - 1)
        sep = ","
    yield "}"


def _without_controls(page: str) -> str:
    """The page with CR/CRLF as LF and every other control character (but TAB) as U+FFFD."""
    return clean_text(page.replace("\r\n", "\n").replace("\r", "\n"))


@cache
def _static(name: str) -> str:
    return files("residency_audit.report").joinpath("static", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """The templates compiled once per version, not on every run: compiling them costs a
    scan about 0.3-0.6 s, more than everything else an empty estate's scan does.

    Jinja's own per-user directory in the system temp dir (created 0700, refused when another
    user owns it); an entry is used only while its template's source checksum, the Jinja and the
    Python version match. A cache that cannot be written is no error: the page is compiled.
    """

    def __init__(self) -> None:
        super().__init__(pattern="residency-audit-%s.cache")

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):  # unreadable or damaged: compile
            bucket.reset()


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _TemplateCache()
    except (OSError, RuntimeError):  # no safe directory: compile every time
        return None


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("residency_audit.report", "templates"),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def _bilingual(ja: str, en: str) -> Markup:
    """Both languages; CSS shows the one named by ``<html lang>`` (escaped, codes marked up)."""
    if ja == en:
        return marked_html(ja)
    return Markup(
        '<span class="tx" lang="ja">{}</span><span class="tx" lang="en">{}</span>'
    ).format(marked_html(ja), marked_html(en))


def _reason(location: Location) -> Markup | None:
    """Why a location's region is unknown, in both languages (None: it gives no reason)."""
    pair = reason_pair(location)
    return None if pair is None else _bilingual(*pair)


def _scope_summary(result: ScanResult, per_provider: Counter[str]) -> list[dict[str, Any]]:
    inventory = result.inventory
    providers = list(
        dict.fromkeys([*result.scan.providers, *(s.provider for s in inventory.scopes)])
    )
    return [
        {
            "provider": p,
            "scopes": sum(s.provider == p for s in inventory.scopes),
            "buckets": per_provider[p],
        }
        for p in providers
    ]


class _BucketViews:
    """What the page takes from the buckets besides its data, fed one at a time in the page's
    order: the sources, the map's flows, and the coverage section's lists (the first ``limit``
    entries of each and how many there are)."""

    def __init__(self, limit: int) -> None:
        self.sources = provenance.Sources()
        self.flows = geo.Flows()
        self.per_provider: Counter[str] = Counter()
        self.gaps: Keep[tuple[Bucket, Gap]] = Keep(limit)
        self.unknown: Keep[tuple[Bucket, Location]] = Keep(limit)
        self.unverified: Keep[tuple[Bucket, Location]] = Keep(limit)
        self.unclassified: Keep[Bucket] = Keep(limit)

    def add(self, b: Bucket) -> None:
        self.sources.add(b)
        self.flows.add(b)
        self.per_provider[b.provider] += 1
        for g in b.gaps:
            self.gaps.add((b, g))
        for loc in b.locations:
            res = loc.resolution
            if res is None or not (res.known or res.none_left):  # no edge left: no copy
                self.unknown.add((b, loc))
            elif not res.verified:
                self.unverified.add((b, loc))
        if is_unclassified(b):
            self.unclassified.add(b)


class _FindingViews:
    """What the page takes from the findings besides its data, fed one at a time in report
    order."""

    def __init__(self, result: ScanResult, limit: int) -> None:
        self.tiers = view.TierTally(result.scan.profile.country_tiers)
        self.items = view.ItemTally()
        self.changes = view.ChangeTally(limit)
        self.summary = view.SuppressedTally(limit)
        self.glance = glance.GlanceTally()

    def add(self, f: Finding) -> None:
        self.tiers.add(f)
        self.items.add(f)
        self.changes.add(f)
        self.summary.add(f)
        self.glance.add(f)


def _read(result: ScanResult, data: PageData, limit: int) -> tuple[_BucketViews, _FindingViews]:
    """One pass over the buckets, then one over the findings, feeding every part of the page.

    Either may be on disk (a Spill: each pass parses every item again, and all of them would not
    fit in memory as objects), so what is kept is counts, capped lists and the page data's
    columns. The findings need the buckets' positions in the page, so the buckets go first.
    """
    buckets = _BucketViews(limit)
    for b in in_order(result.inventory.buckets, bucket_sort_key):
        data.add_bucket(b)
        buckets.add(b)
    findings = _FindingViews(result, limit)
    for f in in_order(result.findings, finding_sort_key):
        data.add_finding(f)
        findings.add(f)
    return buckets, findings


def render_html(result: ScanResult, lang: str, zone: tzinfo | None = None) -> str:
    """The report page; every date and time in ``zone`` (default: the machine's), named."""
    with collector_paused():
        return _render_html(result, lang, zone)


def _render_html(result: ScanResult, lang: str, zone: tzinfo | None) -> str:
    labels = Labels(lang)  # raises ValueError for an unsupported language
    shown_in = zone or display_zone()
    table = all_labels()

    def t(key: str, default: str | None = None) -> Markup:
        entry = table.get(key)
        if entry is None:
            if default is not None:
                return escape(default)
            raise KeyError(f"no report label {key!r}")
        return _bilingual(entry["ja"], entry["en"])

    def plain_lang(key: str, language: str) -> str:
        return table[key][language]

    def cn(code: str) -> Markup:
        names = country_names().get(code)
        return _bilingual(*names) if names else escape(code)

    inventory = result.inventory
    cap = LIST_CAP  # read at each render: a test lowers it
    data = PageData(shown_in)
    buckets, findings = _read(result, data, cap)
    tiers = findings.tiers.tiers
    picture = buckets.flows.picture(tiers)
    node_tiers = {n.cc: n.tier for n in picture.nodes}
    # hashed as they will appear in the page, after the control-character pass
    css = _without_controls(_static("report.css") + print_css(result.scan.id))
    js = _without_controls(_static("report.js"))
    csp = "; ".join(
        [
            "default-src 'none'",
            f"style-src {_csp_hash(css)}",
            f"script-src {_csp_hash(js)}",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    items = findings.items.views(result)
    basis = buckets.sources.numbers()
    page_data = data.finish(result, lang, table, tiers, basis)
    page_data["items"] = [i.id for i in items]
    data_json = embed_json(page_data)
    bucket_index = data.bucket_index  # the coverage lists link to their bucket's view
    del page_data, data  # the page data's objects go before the page is built around their JSON
    certainty: Callable[[Location], Any] = effective_certainty
    template = _environment().get_template("report.html.j2")
    page = template.render(
        lang=lang,
        t=t,
        plain=labels,
        plain_lang=plain_lang,
        has_label=lambda key: key in table,
        bi=_bilingual,
        reason=_reason,
        gap_reason=lambda gap: _bilingual(gap_reason_text(gap, "ja"), gap_reason_text(gap, "en")),
        cn=cn,
        when=lambda value: local_when(value, shown_in),
        day=lambda value: local_date(value, shown_in).isoformat(),
        certainty=certainty,
        capped=view.capped,
        list_cap=cap,
        change_cap=cap,
        csp=csp,
        css=Markup(css),  # noqa: S704 - our own package file
        js=Markup(js),  # noqa: S704 - our own package file
        data_json=data_json,
        guideline=guideline_reference(),
        scan=result.scan,
        cov=result.scan.coverage,
        as_of=local_date(result.scan.finished, shown_in),
        severities=SEVERITIES_WORST_FIRST,
        items=items,
        glance=findings.glance.view(result.scan.coverage.complete),
        totals=findings.summary.totals,
        active_count=findings.summary.active,
        suppressed=findings.summary.suppressed(),
        suppressed_count=len(result.findings) - findings.summary.active,
        suppressed_unverified=findings.summary.unverified_suppressed,
        stale_suppressions=result.stale_suppressions,
        changes=findings.changes.changes(result),
        scope_summary=_scope_summary(result, buckets.per_provider),
        picture=picture,
        geo=geo.layout_map(picture, tiers),
        geo_held=node_tiers.keys(),
        tier_of=lambda cc: node_tiers.get(cc, "ok"),
        bucket_count=len(inventory.buckets),
        bucket_index=bucket_index,
        scopes=sorted(inventory.scopes, key=lambda s: (s.provider, s.scope)),
        gaps=buckets.gaps.capped(),
        unknown_locations=buckets.unknown.capped(),
        unverified_locations=buckets.unverified.capped(),
        unclassified=buckets.unclassified.capped(),
        basis=basis,
        basis_regions=buckets.sources.regions(),
    )
    return _without_controls(page)

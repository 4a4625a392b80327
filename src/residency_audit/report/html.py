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
from collections.abc import Callable
from datetime import tzinfo
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..evidence import gap_reason_text, reason_pair
from ..localtime import display_zone, local_date, local_when
from ..model import Bucket, Gap, Location
from ..plaintext import clean_text
from ..results import ScanResult
from . import geo, glance, provenance, view
from .countries import country_names
from .facts import SEVERITIES_WORST_FIRST, effective_certainty, finding_sort_key, is_unclassified
from .gcpause import collector_paused
from .guideline_ref import guideline_reference
from .labels import Labels, all_labels
from .marks import marked_html
from .pagedata import REPORT_DATA_SCHEMA, page_data
from .printing import print_css

__all__ = ["REPORT_DATA_SCHEMA", "embed_json", "render_html"]

LIST_CAP = 100  # server-rendered lists that can grow with the estate show this many entries

# json.dumps escapes C0 controls itself; these it leaves raw (ensure_ascii=False)
# and the private-use marks (markup.py, the name placeholder): the page's last pass would take them
_JSON_SCRIPT_ESCAPES = re.compile("[<>&\u2028\u2029\x7f-\x9f\ue000-\ue004\ud800-\udfff]")


def embed_json(data: Any) -> Markup:
    """JSON safe to place inside a ``<script type="application/json">`` element.

    Only inside JSON strings can these characters occur, and there ``\\uXXXX`` means the same
    character, so ``JSON.parse`` gives back exactly the original data.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = _JSON_SCRIPT_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


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


def _scope_summary(result: ScanResult) -> list[dict[str, Any]]:
    inventory = result.inventory
    providers = list(
        dict.fromkeys([*result.scan.providers, *(s.provider for s in inventory.scopes)])
    )
    return [
        {
            "provider": p,
            "scopes": sum(s.provider == p for s in inventory.scopes),
            "buckets": sum(b.provider == p for b in inventory.buckets),
        }
        for p in providers
    ]


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

    findings = tuple(sorted(result.findings, key=finding_sort_key))
    inventory = result.inventory
    buckets = sorted(inventory.buckets, key=lambda b: (b.provider, b.scope, b.name, b.uid))
    bucket_index = {b.uid: i for i, b in enumerate(buckets)}
    gaps: list[tuple[Bucket, Gap]] = [(b, g) for b in buckets for g in b.gaps]
    unknown: list[tuple[Bucket, Location]] = [
        (b, loc)
        for b in buckets
        for loc in b.locations
        if loc.resolution is None or not loc.resolution.known
    ]
    unverified: list[tuple[Bucket, Location]] = [
        (b, loc)
        for b in buckets
        for loc in b.locations
        if loc.resolution is not None and loc.resolution.known and not loc.resolution.verified
    ]
    tiers = view.country_tiers(findings, result.scan.profile.country_tiers)
    picture = geo.geo_picture(buckets, tiers)
    node_tiers = {n.cc: n.tier for n in picture.nodes}
    live = view.active(findings)
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
    items = view.item_views(result, findings)
    basis = provenance.source_numbers(buckets)
    data = page_data(result, lang, findings, buckets, bucket_index, table, tiers, shown_in, basis)
    data["items"] = [i.id for i in items]
    data_json = embed_json(data)
    del data  # the page data's objects go before the page is built around their JSON
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
        list_cap=LIST_CAP,
        change_cap=LIST_CAP,
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
        glance=glance.glance_view(result),
        totals=view.severity_totals(live),
        active_count=len(live),
        suppressed=[f for f in findings if f.suppression is not None],
        suppressed_count=len(findings) - len(live),
        stale_suppressions=result.stale_suppressions,
        changes=view.changes(result, findings),
        scope_summary=_scope_summary(result),
        picture=picture,
        geo=geo.layout_map(picture, tiers),
        geo_held=node_tiers.keys(),
        tier_of=lambda cc: node_tiers.get(cc, "ok"),
        buckets=buckets,
        bucket_index=bucket_index,
        scopes=sorted(inventory.scopes, key=lambda s: (s.provider, s.scope)),
        gaps=gaps,
        unknown_locations=unknown,
        unverified_locations=unverified,
        unclassified=[b for b in buckets if is_unclassified(b)],
        basis=basis,
        basis_regions=provenance.regions_by_source(buckets),
    )
    return _without_controls(page)

"""report.html: one self-contained page, rendered server-side with Jinja2 (autoescape on).

* The page's data is embedded once, as JSON in ``<script type="application/json">``, escaped so no
  value can close the script element (``<``, ``>``, ``&``, U+2028/U+2029 become ``\\uXXXX``).
* CSS and JS are inlined from package files; a Content-Security-Policy allows exactly those two
  blocks (by SHA-256) and nothing else -- no fetch, no other script, even if an escaping bug slipped
  through. Every external fetch is blocked by ``default-src 'none'``.
* Everything is readable with JavaScript off; the script only filters, searches and sorts.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

from ..model import Bucket, Finding, Gap, Location, Severity
from ..results import ScanResult
from .facts import SEVERITIES_WORST_FIRST, effective_certainty, finding_sort_key, is_unclassified
from .guideline_ref import guideline_reference
from .labels import Labels

__all__ = ["REPORT_DATA_SCHEMA", "embed_json", "render_html"]

REPORT_DATA_SCHEMA = "residency-audit/report-data/v1"

_JSON_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def embed_json(data: Any) -> Markup:
    """JSON safe to place inside a ``<script type="application/json">`` element.

    Only inside JSON strings can these characters occur, and there ``\\uXXXX`` means the same
    character, so ``JSON.parse`` gives back exactly the original data.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _JSON_SCRIPT_ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


@dataclass(frozen=True)
class SummaryRow:
    item_id: str
    gist: str
    counts: dict[str, int]
    total: int


def _summary(findings: tuple[Finding, ...], lang: str) -> list[SummaryRow]:
    ref = guideline_reference()
    gists = {i.id: i.gist(lang) for i in ref.items}
    ids = list(ref.item_ids())
    # An item ID the guideline data does not know still gets a row: never drop a finding.
    ids += sorted({i for f in findings for i in f.guideline_items} - set(ids))
    rows = []
    for item_id in ids:
        counts = {s.value: 0 for s in Severity}
        for f in findings:
            if item_id in f.guideline_items:
                counts[f.severity.value] += 1
        rows.append(SummaryRow(item_id, gists.get(item_id, ""), counts, sum(counts.values())))
    return rows


@cache
def _static(name: str) -> str:
    return files("residency_audit.report").joinpath("static", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("residency_audit.report", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def _when(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def render_html(result: ScanResult, lang: str) -> str:
    t = Labels(lang)  # raises ValueError for an unsupported language
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
        if loc.resolution is not None and not loc.resolution.verified
    ]
    css, js = _static("report.css"), _static("report.js")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"style-src {_csp_hash(css)}",
            f"script-src {_csp_hash(js)}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    data = {
        "schema": REPORT_DATA_SCHEMA,
        "lang": lang,
        "labels": {"shown": t("filter.shown"), "sort_hint": t("sort.hint")},
        "scan": result.scan.model_dump(mode="json", by_alias=True),
        "findings": [f.model_dump(mode="json", by_alias=True) for f in findings],
        "inventory": inventory.model_dump(mode="json", by_alias=True),
    }
    certainty: Callable[[Location], Any] = effective_certainty
    template = _environment().get_template("report.html.j2")
    return template.render(
        lang=lang,
        t=t,
        when=_when,
        certainty=certainty,
        csp=csp,
        css=Markup(css),  # noqa: S704 - our own package file
        js=Markup(js),  # noqa: S704 - our own package file
        data_json=embed_json(data),
        guideline=guideline_reference(),
        scan=result.scan,
        cov=result.scan.coverage,
        severities=SEVERITIES_WORST_FIRST,
        summary=_summary(findings, lang),
        findings=findings,
        buckets=buckets,
        bucket_index=bucket_index,
        scopes=sorted(inventory.scopes, key=lambda s: (s.provider, s.scope)),
        gaps=gaps,
        unknown_locations=unknown,
        unverified_locations=unverified,
        unclassified=[b for b in buckets if is_unclassified(b)],
    )

"""findings.xlsx: the workbook compliance teams ask for (pandas + openpyxl).

Sheets ``summary``, ``findings``, ``locations``, ``gaps`` and ``suppressions``; headers and
enumerations in the report language; header row frozen; autofilter on; widths fitted to content.

Cells from clouds are attacker-controllable, exactly as in the CSV: every text cell goes through
:func:`csvout.neutralise` (a leading ``= + - @`` TAB CR LF NUL, a full-width ``＝ ＋ － ＠``, or one
of them behind leading spaces or a BOM gets a ``'``), and is written as a string cell, never a
formula. Characters the XLSX format cannot hold (C0 controls) are shown as
``\\xNN``. Identifiers stay text (an AWS account id keeps its leading zeros); only the summary's
own counts are numbers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..model import Bucket, Finding, Gap, Location
from ..results import ScanResult
from . import view
from .countries import country_name
from .csvout import neutralise
from .facts import SEVERITIES_WORST_FIRST, effective_certainty, finding_sort_key
from .labels import Labels

__all__ = ["SHEETS", "findings_xlsx"]

SHEETS = ("summary", "findings", "locations", "gaps", "suppressions")

_MAX_WIDTH = 60


def _text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = neutralise(value)
    # control characters openpyxl refuses to store are shown as \xNN instead
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _width(value: Any) -> int:
    text = str(value)
    longest = max((len(line) + sum(ord(c) > 0x2E7F for c in line)) for line in text.split("\n"))
    return min(_MAX_WIDTH, longest)


def _frame(header: Sequence[str], rows: list[list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [[_text(c) for c in row] for row in rows], columns=list(header), dtype=object
    )


def _finish(ws: Worksheet, frame: pd.DataFrame) -> None:
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(frame.columns)))
    ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    for index, column in enumerate(frame.columns, start=1):
        sample = [column, *frame[column].head(500).tolist()]
        ws.column_dimensions[get_column_letter(index)].width = max(8, *map(_width, sample)) + 2
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string, whatever it looks like


def _yes(t: Labels, flag: bool | None) -> str:
    return "" if flag is None else t("yes") if flag else t("no")


def _countries(codes: Sequence[str], lang: str) -> str:
    return "; ".join(f"{c} {country_name(c, lang)}" for c in codes)


def _summary(result: ScanResult, t: Labels) -> pd.DataFrame:
    scan, cov = result.scan, result.scan.coverage
    live = view.active(result.findings)
    totals = view.severity_totals(live)
    ch = view.changes(result)
    weakened = "; ".join(
        f"{w.country} ({w.removed_from}: {', '.join(w.items)})" for w in scan.profile.weakened
    )
    rows: list[list[Any]] = [
        [t("scan.id"), scan.id],
        [t("scan.started"), scan.started.isoformat()],
        [t("scan.finished"), scan.finished.isoformat()],
        [t("scan.providers"), ", ".join(scan.providers)],
        [t("scan.tool_version"), scan.tool_version],
        [t("profile.name"), scan.profile.name],
        [t("profile.base"), scan.profile.base or ""],
        [t("profile.sha256"), scan.profile.sha256],
        [t("xlsx.weakened"), weakened or t("none")],
        [t("coverage.complete"), _yes(t, cov.complete)],
        [t("coverage.scopes"), f"{cov.scopes_complete} / {cov.scopes_total}"],
        [t("coverage.buckets"), cov.buckets],
        [t("coverage.buckets_with_gaps_long"), cov.buckets_with_gaps],
        [t("coverage.locations"), cov.locations],
        [t("coverage.locations_unknown_long"), cov.locations_unknown],
        [t("coverage.locations_unverified_long"), cov.locations_unverified],
        [
            t("coverage.unmapped_codes_heading"),
            ", ".join(f"{u.provider}:{u.code}" for u in cov.unmapped_codes) or t("none"),
        ],
        [t("coverage.unclassified"), cov.unclassified_buckets],
    ]
    rows += [
        [f"{t('summary.findings')}: {t('severity.' + s.value)}", totals[s.value]]
        for s in SEVERITIES_WORST_FIRST
    ]
    rows.append([t("summary.suppressed"), len(result.findings) - len(live)])
    if ch.has_history:
        rows += [
            [t("changes.previous"), ch.previous_scan_id or ""],
            [t("state.new"), len(ch.new)],
            [t("state.reopened"), len(ch.reopened)],
            [t("state.resolved"), len(ch.resolved)],
        ]
    for item in view.item_views(result):
        counts = " / ".join(
            f"{t('severity.' + s.value)} {item.counts[s.value]}" for s in SEVERITIES_WORST_FIRST
        )
        rows.append([f"{t('col.item')} {item.id}", f"{t('itemstatus.' + item.status)} — {counts}"])
    return _frame([t("xlsx.field"), t("xlsx.value")], rows)


def _findings(findings: list[Finding], t: Labels, lang: str) -> pd.DataFrame:
    header = [
        t("col.severity"), t("col.items"), t("xlsx.rule"), t("col.state"), t("badge.suppressed"),
        t("badge.unverified"), t("col.provider"), t("filter.scope"), t("col.bucket"),
        t("bucket.uid"), t("col.role"), t("col.region"), t("col.country"), t("xlsx.countries"),
        t("col.certainty"), t("col.mechanism"), t("col.target"), t("bucket.classification"),
        t("col.message"), t("col.remediation"), t("xlsx.adjustments"), t("xlsx.fingerprint"),
        t("xlsx.first_seen"),
    ]  # fmt: skip
    rows = []
    for f in findings:
        loc = f.location
        rows.append(
            [
                t("severity." + f.severity.value),
                "; ".join(f.guideline_items),
                f.rule_id,
                t("state." + f.state.value) if f.state else "",
                f.suppression.id if f.suppression else "",
                _yes(t, f.unverified),
                f.provider,
                f.scope,
                f.resource.name if f.resource else t("findings.scope_level"),
                f.resource.uid if f.resource else "",
                t("role." + loc.role.value) if loc else "",
                (loc.region or t("unknown")) if loc else "",
                (_countries([loc.country], lang) if loc.country else t("unknown")) if loc else "",
                "; ".join(loc.countries) if loc else "",
                t("certainty." + loc.certainty.value) if loc else "",
                (loc.mechanism or "") if loc else "",
                (loc.target or "") if loc else "",
                t("classification." + (f.classification.value if f.classification else "none")),
                f.message.get(lang),
                f.remediation.get(lang),
                " / ".join(a.get(lang) for a in f.adjustments),
                f.fingerprint,
                f.first_seen.isoformat() if f.first_seen else "",
            ]
        )
    return _frame(header, rows)


def _location_row(b: Bucket, loc: Location | None, t: Labels, lang: str) -> list[Any]:
    res = loc.resolution if loc else None
    tags = "; ".join(f"{k}={v}" for k, v in sorted(b.tags.items()))
    tail = [
        t("classification." + (b.classification.value if b.classification else "none")),
        b.classification_source or "",
        t("encryption." + b.encryption.tier.value),
        b.encryption.key_id or "",
        t("public." + b.public_access.verdict.value),
        tags,
    ]
    head = [b.provider, b.scope, b.name, b.uid]
    if loc is None:
        blank = ["", "", t("unknown"), "", "", "", "", ""]
        return [*head, *blank, t("bucket.no_locations"), "", *tail]
    return [
        *head,
        t("role." + loc.role.value),
        loc.region or t("unknown"),
        _countries(res.countries, lang) if res and res.countries else t("unknown"),
        t("certainty." + effective_certainty(loc).value),
        loc.mechanism,
        loc.target or "",
        _yes(t, loc.derived),
        _yes(t, res.verified) if res else "",
        loc.unknown_reason or (res.note if res else ""),
        res.source if res else "",
        *tail,
    ]


def _locations(buckets: list[Bucket], t: Labels, lang: str) -> pd.DataFrame:
    header = [
        t("col.provider"), t("filter.scope"), t("col.bucket"), t("bucket.uid"), t("col.role"),
        t("col.region"), t("col.country"), t("col.certainty"), t("col.mechanism"),
        t("col.target"), t("badge.derived"), t("col.verified"), t("xlsx.note"),
        t("col.catalog_source"), t("bucket.classification"),
        t("bucket.classification_source"), t("bucket.encryption"), t("xlsx.key"),
        t("bucket.public"), t("bucket.tags"),
    ]  # fmt: skip
    rows = []
    for b in buckets:
        if not b.locations:
            rows.append(_location_row(b, None, t, lang))
        rows += [_location_row(b, loc, t, lang) for loc in b.locations]
    return _frame(header, rows)


def _hides(t: Labels, gap: Gap) -> str:
    sep = "、" if t.lang == "ja" else ", "
    return sep.join(t("hides." + h.value) for h in gap.hides)


def _gaps(result: ScanResult, buckets: list[Bucket], t: Labels) -> pd.DataFrame:
    header = [
        t("col.provider"), t("filter.scope"), t("col.bucket"), t("bucket.uid"), t("col.field"),
        t("col.reason"), t("col.error_code"), t("col.hides"),
    ]  # fmt: skip
    rows: list[list[Any]] = []
    for s in sorted(result.inventory.scopes, key=lambda s: (s.provider, s.scope)):
        if s.error:
            rows.append(
                [s.provider, s.scope, "", "", t("status." + s.status.value), s.error, "", ""]
            )
        rows += [
            [s.provider, s.scope, "", "", n.kind, n.detail, "", ""]
            for n in s.notes
            if n.affects_completeness
        ]
    for b in buckets:
        rows += [
            [b.provider, b.scope, b.name, b.uid, g.field, g.reason, g.error_code or "",
             _hides(t, g)]
            for g in b.gaps
        ]  # fmt: skip
    return _frame(header, rows)


def _suppressions(
    result: ScanResult, findings: list[Finding], t: Labels, lang: str
) -> pd.DataFrame:
    header = [
        "ID", t("suppressed.reason"), t("suppressed.approver"), t("suppressed.expires"),
        t("attest.expired"), t("col.severity"), t("col.items"), t("xlsx.rule"), t("col.provider"),
        t("filter.scope"), t("col.bucket"), t("col.message"), t("xlsx.fingerprint"),
    ]  # fmt: skip
    as_of = result.scan.finished.date()
    rows: list[list[Any]] = []
    for f in findings:
        sup = f.suppression
        if sup is None:
            continue
        rows.append(
            [
                sup.id, sup.reason, sup.approved_by, sup.expires.isoformat(),
                _yes(t, sup.expires < as_of), t("severity." + f.severity.value),
                "; ".join(f.guideline_items), f.rule_id, f.provider, f.scope,
                f.resource.name if f.resource else t("findings.scope_level"),
                f.message.get(lang), f.fingerprint,
            ]
        )  # fmt: skip
    rows += [
        [sid, t("suppressed.stale")] + [""] * (len(header) - 2) for sid in result.stale_suppressions
    ]
    return _frame(header, rows)


def findings_xlsx(result: ScanResult, lang: str) -> bytes:
    t = Labels(lang)
    findings = sorted(result.findings, key=finding_sort_key)
    buckets = sorted(result.inventory.buckets, key=lambda b: (b.provider, b.scope, b.name, b.uid))
    frames = {
        "summary": _summary(result, t),
        "findings": _findings(findings, t, lang),
        "locations": _locations(buckets, t, lang),
        "gaps": _gaps(result, buckets, t),
        "suppressions": _suppressions(result, findings, t, lang),
    }
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name in SHEETS:
            frames[name].to_excel(writer, sheet_name=name, index=False)
            _finish(writer.sheets[name], frames[name])
    return buffer.getvalue()

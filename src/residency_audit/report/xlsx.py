"""findings.xlsx: the workbook compliance teams ask for, streamed by xlsxwriter.

Sheets ``summary``, ``findings``, ``locations``, ``gaps`` and ``suppressions``; headers and
enumerations in the report language; header row frozen; autofilter on; widths fitted to content.

xlsxwriter writes the package: styles, every sheet with its header row, widths, frozen pane
and autofilter. The data rows, about a million cells at 20,000 buckets (~44,000 findings), are
then streamed into each sheet's ``<sheetData>`` as the very XML xlsxwriter's ``constant_memory``
mode writes for ``write_string`` / ``write_number`` (inline strings, same escapes, same limits;
a test compares the two byte for byte), each distinct string escaped once. xlsxwriter's own
per-cell path costs ~7 µs, ten seconds of the budget on its own; the openpyxl workbook this
replaces took about 90 s. Rows are built as plain lists first (widths are fitted from the first
500 of them).

Cells from clouds are attacker-controllable, exactly as in the CSV: every text cell goes through
:func:`csvout.neutralise` (a leading ``= + - @`` TAB CR LF NUL, a full-width ``＝ ＋ － ＠``, or one
of them behind leading spaces or a BOM gets a ``'``), and is written as a string, never as a
formula; text that looks like one of Excel's ``_xHHHH_`` escapes is kept literal. Characters
the XLSX format cannot hold (C0 controls) are shown as ``\\xNN``. Identifiers stay text (an AWS
account id keeps its leading zeros); only the summary's own counts are numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, tzinfo
from typing import Any, NamedTuple

import xlsxwriter  # type: ignore[import-untyped]  # ships no type information
from xlsxwriter.utility import xl_col_to_name  # type: ignore[import-untyped]

from ..evidence import gap_reason_text, reason_text
from ..localtime import local_date, local_when
from ..model import Bucket, CountryResolution, Finding, Gap, Location
from ..results import ScanResult
from ..spill import in_order
from . import view
from .countries import country_name
from .csvout import neutralise
from .facts import SEVERITIES_WORST_FIRST, bucket_sort_key, effective_certainty, finding_sort_key
from .gcpause import collector_paused
from .labels import Labels

__all__ = ["SHEETS", "findings_xlsx"]

SHEETS = ("summary", "findings", "locations", "gaps", "suppressions")

_MAX_WIDTH = 60
_WIDTH_SAMPLE = 500  # rows looked at to fit a column's width
# the C0 controls an XLSX cell cannot hold (TAB, LF and CR it can); the same set openpyxl refuses
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# xlsxwriter's column widths are pixels; 7 px a character (Calibri 11) stores exactly N characters
_PX_PER_CHAR = 7


class _Sheet(NamedTuple):
    header: list[str]
    rows: list[list[Any]]


def _text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # A CR reached readers as LF before (XML parsers fold it), where xlsxwriter would keep it as
    # _x000D_: fold it here so the text reads as it always did.
    text = neutralise(value).replace("\r\n", "\n").replace("\r", "\n")
    # control characters the format cannot store are shown as \xNN instead
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _width(value: Any) -> int:
    text = str(value)
    longest = max((len(line) + sum(ord(c) > 0x2E7F for c in line)) for line in text.split("\n"))
    return min(_MAX_WIDTH, longest)


def _sheet(header: Sequence[str], rows: list[list[Any]]) -> _Sheet:
    # Most cells repeat (labels, regions, scopes): neutralise each distinct string once.
    memo: dict[str, Any] = {}

    def text(value: Any) -> Any:
        if type(value) is not str:
            return _text(value)
        done = memo.get(value)
        if done is None:
            done = memo[value] = _text(value)
        return done

    return _Sheet(list(header), [[text(c) for c in row] for row in rows])


def _skeleton(sheets: dict[str, _Sheet], *, with_rows: bool) -> bytes:
    """The workbook as xlsxwriter writes it: every sheet's header, widths, frozen pane and
    autofilter, and (``with_rows``) every data row, each string through ``write_string``."""
    buffer = io.BytesIO()
    options = {
        "constant_memory": True,  # rows stream to a temp file; strings are inline, as we splice
        # belt and braces: write_string never makes formulas or links, and nothing else is used
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    with xlsxwriter.Workbook(buffer, options) as book:
        for name in SHEETS:
            sheet, ws = sheets[name], book.add_worksheet(name)
            for col, title in enumerate(sheet.header):
                sample = [title, *(row[col] for row in sheet.rows[:_WIDTH_SAMPLE])]
                ws.set_column_pixels(col, col, (max(8, *map(_width, sample)) + 2) * _PX_PER_CHAR)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, len(sheet.rows), max(1, len(sheet.header)) - 1)
            for col, title in enumerate(sheet.header):
                ws.write_string(0, col, title)
            if with_rows:
                for r, row in enumerate(sheet.rows, start=1):
                    for col, value in enumerate(row):
                        if isinstance(value, int):
                            ws.write_number(r, col, value)
                        elif value:
                            ws.write_string(r, col, value)
    return buffer.getvalue()


# What xlsxwriter does to an inline string, done once per distinct string rather than per cell
# (its per-cell path costs ~7 µs, which at a million cells is most of the budget).
_ESCAPE_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # so Excel shows "_x003D_" as typed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_XLS_STRMAX = 32767  # UTF-16 units a cell holds; xlsxwriter cuts longer strings there too


def _inline(text: str) -> str:
    if len(text) > _XLS_STRMAX // 2 and len(text.encode("utf-16-le", "surrogatepass")) > 65534:
        text = text.encode("utf-16-le", "surrogatepass")[: 2 * _XLS_STRMAX].decode(
            "utf-16-le", "ignore"
        )
    text = _ESCAPE_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _rows_xml(rows: list[list[Any]]) -> Iterator[bytes]:
    """The data rows (from row 2) exactly as xlsxwriter's constant_memory mode writes them."""
    letters = [xl_col_to_name(c) for c in range(max((len(r) for r in rows), default=0))]
    memo: dict[str, str] = {}
    chunk: list[str] = []
    for r, row in enumerate(rows, start=2):
        chunk.append(f'<row r="{r}">')
        for letter, value in zip(letters, row, strict=False):
            if isinstance(value, int):
                chunk.append(f'<c r="{letter}{r}"><v>{value:.16G}</v></c>')
            elif value:
                tail = memo.get(value)
                if tail is None:
                    tail = memo[value] = _inline(value)
                chunk.append(f'<c r="{letter}{r}{tail}')
        chunk.append("</row>")
        if len(chunk) > 20_000:
            yield "".join(chunk).encode()
            chunk = []
    yield "".join(chunk).encode()


def _workbook(sheets: dict[str, _Sheet]) -> bytes:
    """xlsxwriter's workbook with our rows spliced into each sheet's ``<sheetData>``."""
    skeleton = zipfile.ZipFile(io.BytesIO(_skeleton(sheets, with_rows=False)))
    parts = {f"xl/worksheets/sheet{i}.xml": sheets[name] for i, name in enumerate(SHEETS, 1)}
    buffer = io.BytesIO()
    with skeleton, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in skeleton.infolist():
            data, sheet = skeleton.read(info), parts.get(info.filename)
            if sheet is None or not sheet.rows:
                out.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            last = f"{xl_col_to_name(max(1, len(sheet.header)) - 1)}{len(sheet.rows) + 1}"
            head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>'.encode(),
                          head, count=1)  # fmt: skip
            part = zipfile.ZipInfo(info.filename, info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with out.open(part, "w") as fh:
                fh.write(head)
                for chunk in _rows_xml(sheet.rows):
                    fh.write(chunk)
                fh.write(b"</sheetData>" + tail)
    return buffer.getvalue()


def _yes(t: Labels, flag: bool | None) -> str:
    return "" if flag is None else t("yes") if flag else t("no")


def _countries(codes: Sequence[str], lang: str) -> str:
    return "; ".join(f"{c} {country_name(c, lang)}" for c in codes)


def _summary(result: ScanResult, t: Labels, zone: tzinfo) -> _Sheet:
    scan, cov = result.scan, result.scan.coverage
    # one pass feeds every count (the findings may be on disk: spill)
    tally, changed, items = view.SuppressedTally(), view.ChangeTally(), view.ItemTally()
    for f in in_order(result.findings, finding_sort_key):
        tally.add(f)
        changed.add(f)
        items.add(f)
    totals = tally.totals
    ch = changed.changes(result)
    weakened = "; ".join(
        f"{w.country} ({w.removed_from}: {', '.join(w.items)})" for w in scan.profile.weakened
    )
    rows: list[list[Any]] = [
        [t("scan.id"), scan.id],
        [t("scan.started"), local_when(scan.started, zone)],
        [t("scan.finished"), local_when(scan.finished, zone)],
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
    if cov.buckets_from_inventory:
        rows += [
            [t("coverage.from_inventory"), cov.buckets_from_inventory],
            [t("coverage.read_live_instead"), cov.buckets_read_live_instead],
            [t("coverage.inventory_disagreements"), cov.inventory_disagreements],
        ]
    rows += [
        [f"{t('summary.findings')}: {t('severity.' + s.value)}", totals[s.value]]
        for s in SEVERITIES_WORST_FIRST
    ]
    rows.append([t("summary.suppressed"), len(result.findings) - tally.active])
    if ch.has_history:
        rows += [
            [t("changes.previous"), ch.previous_scan_id or ""],
            [t("state.new"), len(ch.new)],
            [t("state.reopened"), len(ch.reopened)],
            [t("state.resolved"), len(ch.resolved)],
        ]
    for item in items.views(result):
        counts = " / ".join(
            f"{t('severity.' + s.value)} {item.counts[s.value]}" for s in SEVERITIES_WORST_FIRST
        )
        rows.append([f"{t('col.item')} {item.id}", f"{t('itemstatus.' + item.status)} — {counts}"])
    return _sheet([t("xlsx.field"), t("xlsx.value")], rows)


def _findings(findings: Iterable[Finding], t: Labels, lang: str, zone: tzinfo) -> _Sheet:
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
                local_when(f.first_seen, zone) if f.first_seen else "",
            ]
        )
    return _sheet(header, rows)


def _note(loc: Location, lang: str) -> str:
    """The catalog's note on a location, in ``lang`` where it has one."""
    res = loc.resolution
    if res is None:
        return ""
    return (res.note_ja if lang == "ja" else "") or res.note


def _where(res: CountryResolution | None, t: Labels, lang: str) -> str:
    """The countries cell: a CDN left no edge by its geo restriction holds no copy (not unknown)."""
    if res is not None and res.countries:
        return _countries(res.countries, lang)
    return t("country.none_left") if res is not None and res.none_left else t("unknown")


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
        _where(res, t, lang),
        t("certainty." + effective_certainty(loc).value),
        loc.mechanism,
        loc.target or "",
        _yes(t, loc.derived),
        _yes(t, res.verified) if res else "",
        reason_text(loc, lang) or _note(loc, lang),
        res.source if res else "",
        *tail,
    ]


def _locations(buckets: Iterable[Bucket], t: Labels, lang: str) -> _Sheet:
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
    return _sheet(header, rows)


def _hides(t: Labels, gap: Gap) -> str:
    sep = "、" if t.lang == "ja" else ", "
    return sep.join(t("hides." + h.value) for h in gap.hides)


def _gaps(result: ScanResult, buckets: Iterable[Bucket], t: Labels, lang: str) -> _Sheet:
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
            [b.provider, b.scope, b.name, b.uid, g.field, gap_reason_text(g, lang),
             g.error_code or "", _hides(t, g)]
            for g in b.gaps
        ]  # fmt: skip
    return _sheet(header, rows)


def _suppressions(
    result: ScanResult, findings: Iterable[Finding], t: Labels, lang: str, zone: tzinfo
) -> _Sheet:
    header = [
        "ID", t("suppressed.reason"), t("suppressed.approver"), t("suppressed.expires"),
        t("attest.expired"), t("col.severity"), t("col.items"), t("xlsx.rule"), t("col.provider"),
        t("filter.scope"), t("col.bucket"), t("col.message"), t("xlsx.fingerprint"),
    ]  # fmt: skip
    as_of = local_date(result.scan.finished, zone)
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
    return _sheet(header, rows)


def findings_xlsx(result: ScanResult, lang: str, zone: tzinfo = UTC) -> bytes:
    """The workbook; dates and times in ``zone`` (the reader's), named like the HTML report's."""
    with collector_paused():
        return _workbook(_sheets(result, lang, zone))


def _sheets(result: ScanResult, lang: str, zone: tzinfo) -> dict[str, _Sheet]:
    t = Labels(lang)
    findings = in_order(result.findings, finding_sort_key)
    buckets = in_order(result.inventory.buckets, bucket_sort_key)
    return {
        "summary": _summary(result, t, zone),
        "findings": _findings(findings, t, lang, zone),
        "locations": _locations(buckets, t, lang),
        "gaps": _gaps(result, buckets, t, lang),
        "suppressions": _suppressions(result, findings, t, lang, zone),
    }

"""findings.xlsx read back with openpyxl: sheets, localised headers, frozen header row,
autofilter, widths, and no formula injection from cloud-controlled text."""

from __future__ import annotations

import gc
import io
import re
import zipfile
from datetime import UTC
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from residency_audit import report
from residency_audit.report import xlsx
from residency_audit.report.labels import Labels
from tests.report_builders import CSV_TRIGGERS, HOSTILE, build_result, demo_result


def _open(tmp_path: Path, lang: str, **kw: object) -> openpyxl.Workbook:
    result = build_result(**kw)  # type: ignore[arg-type]
    paths = report.write_reports(result, tmp_path, lang=lang, formats=("xlsx",))
    assert [p.name for p in paths] == ["findings.xlsx"]
    return openpyxl.load_workbook(tmp_path / "findings.xlsx")


def _rows(ws: object) -> list[dict[str, object]]:
    values = list(ws.values)  # type: ignore[attr-defined]
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


@pytest.mark.parametrize(
    ("lang", "severity", "bucket"), [("ja", "重大度", "バケット"), ("en", "Severity", "Bucket")]
)
def test_workbook_sheets_headers_frozen_filtered(
    tmp_path: Path, lang: str, severity: str, bucket: str
) -> None:
    wb = _open(tmp_path, lang)
    assert wb.sheetnames == ["summary", "findings", "locations", "gaps", "suppressions"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        for col in range(1, ws.max_column + 1):
            width = ws.column_dimensions[ws.cell(1, col).column_letter].width
            assert 8 <= width <= 62, (ws.title, col, width)
    findings = wb["findings"]
    header = [c.value for c in findings[1]]
    assert header[0] == severity and bucket in header
    assert findings.max_row - 1 == len(build_result().findings)  # suppressed ones included
    assert wb["suppressions"].max_row == 2  # S-1
    assert wb["gaps"].max_row >= 3  # the bucket gap and the failed scope's error


def test_workbook_neutralises_formulas_and_keeps_text(tmp_path: Path) -> None:
    payloads = tuple(f'{c}HYPERLINK("http://evil","x")' for c in CSV_TRIGGERS)
    wb = _open(tmp_path, "en", extra_finding_msgs=payloads)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    messages = {r["Finding"] for r in _rows(wb["findings"]) if str(r["Rule"]).startswith("test.")}
    assert '\'=HYPERLINK("http://evil","x")' in messages
    assert '\'\\x00HYPERLINK("http://evil","x")' in messages  # NUL shown, not written
    locations = _rows(wb["locations"])
    tags = next(r["Tags / labels"] for r in locations if r["Bucket"] == "replicated-hk")
    assert isinstance(tags, str) and tags.startswith("'=cmd=+SUM(1)") and HOSTILE in tags
    target = next(r["Target"] for r in locations if r["Role"] == "Replica")
    assert target == HOSTILE
    # an account id stays text (leading zeros and all)
    assert {r["Scope"] for r in locations} >= {"111111111111"}
    assert all(isinstance(r["Scope"], str) for r in locations)


def test_workbook_summary_and_history(tmp_path: Path) -> None:
    result = demo_result(history=True)
    report.write_reports(result, tmp_path, lang="en", formats=("xlsx",))
    wb = openpyxl.load_workbook(tmp_path / "findings.xlsx")
    summary = {r["Field"]: r["Value"] for r in _rows(wb["summary"])}
    assert summary["Name"] == "jp-default"
    assert summary["Buckets"] == len(result.inventory.buckets)
    assert summary["New"] == sum(
        f.state is not None and f.state.value == "new" for f in result.findings
    )
    assert summary["Resolved"] == 2
    assert str(summary["Item (2)-1"]).startswith("Action required")
    suppressions = _rows(wb["suppressions"])
    assert {r["Approved by"] for r in suppressions if r["Approved by"]} == {"ciso@example.co.jp"}
    assert any(r["ID"] == "SUP-OLD-1" for r in suppressions)
    locations = _rows(wb["locations"])
    assert sum(r["Bucket"] == "cad-archive" for r in locations) == 3
    hk = next(r for r in locations if r["Region"] == "ap-east-1" and r["Bucket"] == "cad-archive")
    assert hk["Country"] == "HK Hong Kong" and hk["Catalog verified"] == "Yes"


@pytest.mark.parametrize(
    ("lang", "hidden"), [("ja", "コピーの保管場所"), ("en", "where copies are kept")]
)
def test_gaps_say_what_they_leave_unknown(tmp_path: Path, lang: str, hidden: str) -> None:
    result = build_result()
    html = report.render_html(result, lang)
    table = html[html.index('<table class="gaps">') :]
    table = table[: table.index("</table>")]
    assert f'<span class="tx" lang="{lang}">{hidden}</span>' in table  # the coverage gap table
    gaps = _open(tmp_path, lang)["gaps"]
    column = [c.value for c in gaps[1]].index(Labels(lang)("col.hides")) + 1
    assert hidden in [gaps.cell(r, column).value for r in range(2, gaps.max_row + 1)]


# Text a streaming writer could get wrong: Excel decodes _xHHHH_ in cell text, keeps edge spaces
# only when told to, counts a cell's limit in UTF-16 units.
EDGE = (
    '_x003D_HYPERLINK("http://evil","x")',
    " leading and trailing ",
    "a & b <c> \"d\" 'e'",
    "😀 four bytes",
    "\ufffe",
    "x" * 40_000,
    "😀" * 20_000,
)


def test_rows_are_byte_for_byte_what_xlsxwriter_writes() -> None:
    """The rows spliced into xlsxwriter's workbook are exactly what its own write_string and
    write_number calls produce, so the file is as sound in Excel as xlsxwriter's own."""
    cases = [(build_result(extra_finding_msgs=EDGE), lang) for lang in ("ja", "en")]
    cases.append((demo_result(history=True), "ja"))
    for result, lang in cases:
        sheets = xlsx._sheets(result, lang, UTC)
        fast = zipfile.ZipFile(io.BytesIO(xlsx._workbook(sheets)))
        reference = zipfile.ZipFile(io.BytesIO(xlsx._skeleton(sheets, with_rows=True)))
        assert fast.namelist() == reference.namelist()
        assert len(reference.read("xl/worksheets/sheet2.xml")) > 5_000  # rows, not headers only
        for name in reference.namelist():
            if name != "docProps/core.xml":  # holds the time it was written
                assert fast.read(name) == reference.read(name), (lang, name)
        assert {i.compress_type for i in fast.infolist()} == {zipfile.ZIP_DEFLATED}


def _shown_by_excel(sheet_xml: bytes) -> set[str]:
    """Every string cell as Excel displays it: it decodes _xHHHH_ (and _x005F_ is "_")."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    cells = ET.fromstring(sheet_xml).iter(f"{ns}is")
    raw = ("".join(cell.itertext()) for cell in cells)
    return {re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), t) for t in raw}


def test_excel_shows_cloud_text_as_written(tmp_path: Path) -> None:
    _open(tmp_path, "en", extra_finding_msgs=EDGE)
    with zipfile.ZipFile(tmp_path / "findings.xlsx") as archive:
        shown = _shown_by_excel(archive.read("xl/worksheets/sheet2.xml"))
    # an escape look-alike stays literal: Excel never turns it into "=HYPERLINK(...)"
    assert '_x003D_HYPERLINK("http://evil","x")' in shown
    assert not any(text.startswith(("=", "+", "-", "@")) for text in shown)
    assert {" leading and trailing ", "a & b <c> \"d\" 'e'", "😀 four bytes", "\ufffe"} <= shown
    # cut to the 32,767 UTF-16 units a cell holds (never half an emoji), not dropped
    assert {"x" * 32_767, "😀" * 16_383} <= shown


def test_every_column_keeps_its_fitted_width(tmp_path: Path) -> None:
    wb = _open(tmp_path, "en")
    for ws in wb.worksheets:
        widths: dict[int, float] = {}
        for dim in ws.column_dimensions.values():  # equal neighbours are stored as one span
            widths.update(dict.fromkeys(range(dim.min, dim.max + 1), dim.width))
        assert sorted(widths) == list(range(1, ws.max_column + 1)), ws.title
        assert all(8 <= w <= 62 for w in widths.values()), ws.title
    header = [c.value for c in wb["findings"][1]]
    by_name = dict(zip(header, range(1, len(header) + 1), strict=True))
    columns = wb["findings"].column_dimensions
    assert columns["V"].width == 62 and by_name["Fingerprint"] == 22  # 64 hex digits, capped
    assert columns["A"].width == len("Severity") + 2


def test_the_collector_is_left_as_the_caller_had_it() -> None:
    result = build_result()
    report.findings_xlsx(result, "en")
    assert gc.isenabled()
    gc.disable()
    try:
        report.findings_xlsx(result, "en")
        assert not gc.isenabled()
    finally:
        gc.enable()

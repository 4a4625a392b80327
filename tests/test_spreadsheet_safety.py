"""CSV and XLSX never hand a spreadsheet a formula: full-width formula characters and formulas
behind leading spaces or a BOM are neutralised too, and no XLSX cell is ever a formula."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from residency_audit import report
from tests.report_builders import build_result, read_csv

FORMULA = 'HYPERLINK("http://evil","x")'
# what a spreadsheet may still run as a formula, each written as a finding message
DANGEROUS = (
    "\uff1d" + FORMULA,  # full-width ＝
    "\uff0b1+1",  # ＋
    "\uff0d1+1",  # －
    "\uff20SUM(A1)",  # ＠
    " =" + FORMULA,
    "   +1+1",
    "\u3000=" + FORMULA,  # ideographic space
    "\xa0@SUM(A1)",  # no-break space
    "\ufeff=" + FORMULA,  # a BOM
    "\u200b-1+1",  # zero-width space
    " \ufeff \uff1d" + FORMULA,
    "\t=" + FORMULA,
    "\r=" + FORMULA,
    "\r\n@SUM(A1)",
)
# text that merely contains such characters is left exactly as it is
HARMLESS = ("a=b", "1-2", "Tokyo \uff1d HK", " x = 1", "\ufeffplain", "\u3000東京")


def _messages(tmp_path: Path) -> dict[str, str]:
    payloads = DANGEROUS + HARMLESS
    result = build_result(extra_finding_msgs=payloads)
    report.write_reports(result, tmp_path, lang="en", formats=("csv", "xlsx"))
    rows = read_csv(tmp_path / "findings.csv")
    by_rule = {r["rule_id"]: r["message"] for r in rows}
    return {p: by_rule[f"test.payload{i}"] for i, p in enumerate(payloads)}


def test_csv_prefixes_full_width_and_hidden_formulas(tmp_path: Path) -> None:
    cells = _messages(tmp_path)
    for payload in DANGEROUS:
        assert cells[payload] == "'" + payload, repr(payload)
    for payload in HARMLESS:
        assert cells[payload] == payload, repr(payload)


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_prefixes_every_hidden_formula(value: str) -> None:
    assert report.neutralise(value) == "'" + value


def test_xlsx_has_no_formula_cell_and_keeps_the_text(tmp_path: Path) -> None:
    _messages(tmp_path)
    path = tmp_path / "findings.xlsx"
    wb = openpyxl.load_workbook(path)
    messages = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if ws.title == "findings" and isinstance(cell.value, str):
                    messages.add(cell.value)
    # XML reads every CR as LF; the rest of the text is kept exactly
    assert {"'" + p.replace("\r\n", "\n").replace("\r", "\n") for p in DANGEROUS} <= messages
    assert set(HARMLESS) <= messages
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name

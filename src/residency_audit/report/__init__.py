"""Report writers: findings.json, inventory.json, findings.csv, inventory.csv, report.html and
findings.xlsx.

The files of one run form a set that is swapped in as a whole (see :mod:`.delivery`): a reader,
or a run killed at any moment, sees the previous complete set or the new one, never a mix. If any
rendering fails nothing is swapped in and the previous reports stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from ..results import ScanResult
from .atomic import atomic_write_bytes, atomic_write_text
from .csvout import findings_csv, inventory_csv, neutralise
from .delivery import ReportSet, prepare_output_dir
from .html import render_html
from .jsonout import findings_json, inventory_json, load_result
from .labels import LANGS
from .xlsx import findings_xlsx

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "LANGS",
    "OUTPUT_FILES",
    "atomic_write_bytes",
    "atomic_write_text",
    "findings_csv",
    "findings_json",
    "findings_xlsx",
    "inventory_csv",
    "inventory_json",
    "load_result",
    "neutralise",
    "prepare_output_dir",
    "render_html",
    "report_names",
    "write_reports",
]

FORMATS = ("json", "csv", "html", "xlsx")
DEFAULT_FORMATS = ("json", "csv", "html")

# format -> (file name, renderer) in the order they are written
_Renderer = Callable[[ScanResult, str], bytes]
OUTPUT_FILES: dict[str, tuple[tuple[str, _Renderer], ...]] = {
    "json": (
        ("inventory.json", lambda r, _lang: inventory_json(r).encode("utf-8")),
        ("findings.json", lambda r, _lang: findings_json(r).encode("utf-8")),
    ),
    "csv": (
        ("findings.csv", findings_csv),
        ("inventory.csv", lambda r, _lang: inventory_csv(r)),
    ),
    "html": (("report.html", lambda r, lang: render_html(r, lang).encode("utf-8")),),
    "xlsx": (("findings.xlsx", findings_xlsx),),
}


def _outputs(formats: Collection[str]) -> list[tuple[str, _Renderer]]:
    """(file name, renderer) of the given formats, in writing order."""
    return [output for fmt in FORMATS if fmt in formats for output in OUTPUT_FILES[fmt]]


def report_names(formats: Collection[str]) -> list[str]:
    """The file names the given formats write, in writing order."""
    return [name for name, _ in _outputs(formats)]


def write_reports(
    result: ScanResult,
    output_dir: Path,
    *,
    lang: str = "ja",
    formats: Collection[str] = DEFAULT_FORMATS,
) -> list[Path]:
    """Write the requested formats into ``output_dir`` as one set; return the paths.

    Raises ``ValueError`` for an unknown format or language, before anything is written, and
    :class:`~residency_audit.errors.InputError` for a directory that cannot be created or written.
    """
    if lang not in LANGS:
        raise ValueError(f"unsupported report language {lang!r}; choose one of {LANGS}")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {FORMATS}")
    output_dir = prepare_output_dir(Path(output_dir), report_names(FORMATS))
    with ReportSet(output_dir) as staged:
        for name, render in _outputs(formats):
            staged.add(name, render(result, lang))
        return staged.deliver()

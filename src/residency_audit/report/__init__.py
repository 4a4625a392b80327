"""Report writers: findings.json, inventory.json, findings.csv, inventory.csv, report.html,
findings.xlsx, and the standard finding formats findings.ocsf.json (OCSF) and findings.asff.json
(AWS Security Hub), see docs/standard-formats.md.

The files of one run form a set that is swapped in as a whole (see :mod:`.delivery`): a reader,
or a run killed at any moment, sees the previous complete set or the new one, never a mix. If any
rendering fails nothing is swapped in and the previous reports stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from ..formats import DEFAULT_FORMATS, FORMATS
from ..lazy import lazy_attributes
from ..localtime import display_zone
from ..results import ScanResult
from .atomic import atomic_write_bytes, atomic_write_text
from .delivery import ReportSet, prepare_output_dir
from .labels import LANGS

if TYPE_CHECKING:
    from .asff import findings_asff
    from .csvout import findings_csv, inventory_csv, neutralise
    from .html import render_html
    from .jsonout import findings_json, inventory_json, load_result
    from .ocsf import findings_ocsf
    from .xlsx import findings_xlsx

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "LANGS",
    "OUTPUT_FILES",
    "atomic_write_bytes",
    "atomic_write_text",
    "findings_asff",
    "findings_csv",
    "findings_json",
    "findings_ocsf",
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


@dataclass(frozen=True)
class _Shown:
    """How a reader sees the reports: the language and the zone of every date and time; and
    where findings.asff.json is to be imported (None: see report/asff.py)."""

    lang: str
    zone: tzinfo
    asff_account: str | None = None
    asff_region: str | None = None


# a renderer gives the file's bytes, or its pieces as they are made (large files stream to disk)
_Renderer = Callable[[ScanResult, _Shown], bytes | Iterable[bytes]]


# Each writer's module (jinja2 for the page, xlsxwriter for the workbook) is imported when its
# format is written, not with the package: a format not asked for costs no start-up time.
def _inventory_json(result: ScanResult, _: _Shown) -> Iterable[bytes]:
    from .jsonout import inventory_json_chunks

    return inventory_json_chunks(result)


def _findings_json(result: ScanResult, _: _Shown) -> Iterable[bytes]:
    from .jsonout import findings_json_chunks

    return findings_json_chunks(result)


def _findings_csv(result: ScanResult, shown: _Shown) -> Iterable[bytes]:
    from .csvout import findings_csv_chunks

    return findings_csv_chunks(result, shown.lang)


def _inventory_csv(result: ScanResult, _: _Shown) -> Iterable[bytes]:
    from .csvout import inventory_csv_chunks

    return inventory_csv_chunks(result)


def _report_html(result: ScanResult, shown: _Shown) -> bytes:
    from .html import render_html

    return render_html(result, shown.lang, shown.zone).encode("utf-8")


def _findings_xlsx(result: ScanResult, shown: _Shown) -> bytes:
    from .xlsx import findings_xlsx

    return findings_xlsx(result, shown.lang, shown.zone)


def _findings_ocsf(result: ScanResult, _: _Shown) -> Iterable[bytes]:
    from .ocsf import findings_ocsf_chunks

    return findings_ocsf_chunks(result)


def _findings_asff(result: ScanResult, shown: _Shown) -> Iterable[bytes]:
    from .asff import findings_asff_chunks

    return findings_asff_chunks(result, account=shown.asff_account, region=shown.asff_region)


# format -> (file name, renderer) in the order they are written; JSON, CSV, OCSF and ASFF are
# for programs and keep UTC
OUTPUT_FILES: dict[str, tuple[tuple[str, _Renderer], ...]] = {
    "json": (("inventory.json", _inventory_json), ("findings.json", _findings_json)),
    "csv": (("findings.csv", _findings_csv), ("inventory.csv", _inventory_csv)),
    "html": (("report.html", _report_html),),
    "xlsx": (("findings.xlsx", _findings_xlsx),),
    "ocsf": (("findings.ocsf.json", _findings_ocsf),),
    "asff": (("findings.asff.json", _findings_asff),),
}

# the writer modules' public names, imported on first use like the writers themselves
_LAZY = {
    "findings_csv": "csvout",
    "inventory_csv": "csvout",
    "neutralise": "csvout",
    "render_html": "html",
    "findings_json": "jsonout",
    "inventory_json": "jsonout",
    "load_result": "jsonout",
    "findings_xlsx": "xlsx",
    "findings_ocsf": "ocsf",
    "findings_asff": "asff",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


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
    zone: tzinfo | None = None,
    asff_account: str | None = None,
    asff_region: str | None = None,
) -> list[Path]:
    """Write the requested formats into ``output_dir`` as one set; return the paths.

    ``zone``: where the reader is; the HTML report and the workbook show every date and time in
    it (default: the machine's zone). ``asff_account`` / ``asff_region``: the Security Hub
    account (for findings that are not an AWS account's own) and region findings.asff.json is
    for (default: see :mod:`.asff`). Raises ``ValueError`` for an unknown format or language, or
    an ASFF account or region that is not one, before anything is written, and
    :class:`~residency_audit.errors.InputError` for a directory that cannot be created or
    written.
    """
    if lang not in LANGS:
        raise ValueError(f"unsupported report language {lang!r}; choose one of {LANGS}")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {FORMATS}")
    if asff_account is not None and not re.fullmatch(r"\d{12}", asff_account):
        raise ValueError(
            f"the ASFF account must be a 12-digit AWS account id, not {asff_account!r}"
        )
    if asff_region is not None and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", asff_region):
        raise ValueError(f"the ASFF region must be an AWS region code, not {asff_region!r}")
    shown = _Shown(lang, zone or display_zone(), asff_account, asff_region)
    output_dir = prepare_output_dir(Path(output_dir), report_names(FORMATS))
    with ReportSet(output_dir) as staged:
        for name, render in _outputs(formats):
            staged.add(name, render(result, shown))
        return staged.deliver()

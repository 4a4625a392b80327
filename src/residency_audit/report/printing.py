"""The report's A4 print stylesheet: ``static/print.css`` plus the page footer of this scan.

Chromium prints ``@page`` margin boxes, so the footer (scan id, page number of total) is CSS;
the scan id is per report, so that rule is written here, as a CSS string (escaped).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["print_css"]


@cache
def _sheet() -> str:
    return (
        files("residency_audit.report").joinpath("static", "print.css").read_text(encoding="utf-8")
    )


def _css_string(value: str) -> str:
    """``value`` as a CSS string literal: every character outside plain ASCII as an escape."""
    out = []
    for ch in value:
        if ch.isascii() and (ch.isalnum() or ch in " -_.:/@+"):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def print_css(scan_id: str) -> str:
    footer = f"@media print {{ @page {{ @bottom-left {{ content: {_css_string(scan_id)}; }} }} }}\n"
    return _sheet() + footer

"""Marked text (residency_audit.markup) as HTML: codes in ``<code>``, API texts in ``<q>``."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..markup import CODE_CLOSE, CODE_OPEN, MARKS, QUOTE_CLOSE, QUOTE_OPEN

__all__ = ["marked_html"]

_PIECE = re.compile(
    f"{CODE_OPEN}([^{CODE_CLOSE}]*){CODE_CLOSE}|{QUOTE_OPEN}([^{QUOTE_CLOSE}]*){QUOTE_CLOSE}"
)
_STRAY = re.compile(f"[{MARKS}]")


def marked_html(text: str) -> Markup:
    """``text`` escaped, each marked code a ``<code>``, each quotation a ``<q lang="en">``."""
    out: list[Markup] = []
    at = 0
    for m in _PIECE.finditer(text):
        out.append(escape(_STRAY.sub("", text[at : m.start()])))
        if m.group(1) is not None:
            out.append(Markup("<code>{}</code>").format(m.group(1)))
        else:
            out.append(Markup('<q class="quoted" lang="en">{}</q>').format(m.group(2)))
        at = m.end()
    out.append(escape(_STRAY.sub("", text[at:])))
    return Markup("").join(out)

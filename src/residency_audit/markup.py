"""Inline marks in finding texts: which words are codes, which are a cloud API's own words.

A message says 「バケット「x」のレプリケーション先（香港、リージョン ap-east-1）」. To a reader,
``ap-east-1`` is a code, not Japanese prose, and an API error such as ``AccessDenied: ...`` is a
quotation in English. The rules mark both; each writer decides how they look:

* the HTML report shows a code in a ``<code>`` element and a quotation in ``<q lang="en">``;
* every plain-text format (CSV, workbook, JSON, tickets, the terminal) shows the code as it is
  and the quotation in quotation marks (:func:`plain`).

The marks are private-use characters that never reach a reader. Text from the clouds cannot
forge one: :mod:`residency_audit.plaintext` replaces them where text enters, like control
characters.
"""

from __future__ import annotations

import re

__all__ = [
    "CODE_CLOSE",
    "CODE_OPEN",
    "MARKS",
    "QUOTE_CLOSE",
    "QUOTE_OPEN",
    "code",
    "plain",
    "quote",
]

CODE_OPEN, CODE_CLOSE = "\ue001", "\ue002"
QUOTE_OPEN, QUOTE_CLOSE = "\ue003", "\ue004"
MARKS = CODE_OPEN + CODE_CLOSE + QUOTE_OPEN + QUOTE_CLOSE

_STRIP = re.compile(f"[{MARKS}]")
_QUOTES = {"ja": ("「", "」"), "en": ("\u201c", "\u201d")}


def code(value: str) -> str:
    """``value`` (a region code, ARN, property name ...) marked as a code."""
    return CODE_OPEN + _STRIP.sub("", value) + CODE_CLOSE


def quote(value: str) -> str:
    """``value`` (a cloud API's error text) marked as a quotation."""
    return QUOTE_OPEN + _STRIP.sub("", value) + QUOTE_CLOSE


def plain(text: str, lang: str = "en") -> str:
    """``text`` for a plain-text format: codes as they are, quotations in quotation marks."""
    if not _STRIP.search(text):
        return text
    open_q, close_q = _QUOTES.get(lang, _QUOTES["en"])
    return (
        text.replace(CODE_OPEN, "")
        .replace(CODE_CLOSE, "")
        .replace(QUOTE_OPEN, open_q)
        .replace(QUOTE_CLOSE, close_q)
    )

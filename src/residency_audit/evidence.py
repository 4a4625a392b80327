"""The words for a public-access evidence item, an encryption detail and the reason a location's
region is unknown (:attr:`~residency_audit.model.Location.why`), in Japanese or English.

A plugin says *what* it saw as values (:class:`~residency_audit.model.Evidence`); the term tables
(``terms/evidence.json``, ``terms/reasons.json``) say how a reader puts it. The term
``evidence.<key>`` (an encryption detail: ``encryption_detail.<key>``, a location's reason:
``reason.<key>``) is a template:

* ```...``` is a code (a property name): it becomes a code mark (:mod:`residency_audit.markup`);
* ``{subject}`` takes the subject, as a code (a setting name, a principal);
* ``{value}`` takes the value's own term -- ``<kind>.<key>.<value>``, else the shared
  ``<kind>.value.<value>`` / ``evidence.value.<value>`` -- or else the value as a code;
* ``{text}`` takes the API's own words, as a quotation.

A part the template does not place follows it (``（subject）: value（text）``), so nothing a
plugin records is lost; a key without a term is shown as its code with its parts. The template
is filled in one pass: a subject or API text that looks like a placeholder or a backtick stays
as it is, and :func:`~residency_audit.markup.code` / :func:`~residency_audit.markup.quote` strip
any mark it carries. Writers turn the marks into ``<code>`` / ``<q>`` or plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .markup import code, quote
from .model import FREE_TEXT, Evidence, Gap, Location
from .terms import all_terms, term

__all__ = [
    "ENCRYPTION_DETAIL",
    "EVIDENCE",
    "REASON",
    "detail_text",
    "details_pair",
    "details_text",
    "evidence_pairs",
    "evidence_text",
    "evidence_texts",
    "gap_reason_text",
    "reason_pair",
    "reason_text",
]

EVIDENCE = "evidence"
ENCRYPTION_DETAIL = "encryption_detail"
REASON = "reason"

_PART = re.compile(r"`([^`]*)`|\{(subject|value|text)\}")
_AFTER = {
    "ja": {"subject": ("（", "）"), "value": (": ", ""), "text": ("（", "）")},
    "en": {"subject": (" (", ")"), "value": (": ", ""), "text": (" (", ")")},
}
_JOIN = {"ja": "、", "en": "; "}


def _value(kind: str, key: str, value: str, lang: str) -> str:
    terms = all_terms()
    for candidate in (
        f"{kind}.{key}.{value}",
        f"{kind}.{key}.{value.lower()}",
        f"{kind}.value.{value.lower()}",
        f"{EVIDENCE}.value.{value.lower()}",
    ):
        if candidate in terms:
            return _codes(terms[candidate][lang])
    return code(value)


def _codes(template: str) -> str:
    """A term's ```code``` spans as code marks (a term has no placeholders of its own here)."""
    return _PART.sub(lambda m: code(m.group(1)) if m.group(1) is not None else m.group(0), template)


def evidence_text(item: Evidence, lang: str, kind: str = EVIDENCE) -> str:
    """``item`` in ``lang`` (``ja`` / ``en``), with code and quotation marks."""
    return _text(item.key, item.subject, item.value, item.text, lang, kind)


# A scan of 20,000 buckets repeats a few dozen distinct items: each is worded once per language
# (keyed by its plain values, which hash and compare much faster than the model).
@lru_cache(maxsize=4096)
def _text(
    key: str, subject: str | None, value: str | None, text: str | None, lang: str, kind: str
) -> str:
    if key == FREE_TEXT:
        return quote(text or "")
    parts: dict[str, str] = {}
    if subject is not None:
        parts["subject"] = code(subject)
    if value is not None:
        parts["value"] = _value(kind, key, value, lang)
    if text is not None:
        parts["text"] = quote(text)
    template = all_terms().get(f"{kind}.{key}")
    placed: set[str] = set()

    def fill(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return code(m.group(1))
        placed.add(m.group(2))
        # a template names a part the plugin did not record: say it is not known
        return parts.get(m.group(2)) or term("evidence.value.unknown", lang)

    out = _PART.sub(fill, template[lang]) if template else code(key)
    after = _AFTER.get(lang, _AFTER["en"])
    for name in ("subject", "value", "text"):
        if name in parts and name not in placed:
            before, close = after[name]
            out += before + parts[name] + close
    return out


def evidence_texts(items: Iterable[Evidence], lang: str) -> tuple[str, ...]:
    return tuple(evidence_text(item, lang) for item in items)


def detail_text(item: Evidence, lang: str) -> str:
    """One encryption detail in ``lang``."""
    return evidence_text(item, lang, ENCRYPTION_DETAIL)


def details_text(items: Iterable[Evidence], lang: str) -> str:
    """An encryption's details in ``lang``, as one line."""
    join = _JOIN.get(lang, _JOIN["en"])
    return join.join(
        _text(i.key, i.subject, i.value, i.text, lang, ENCRYPTION_DETAIL) for i in items
    )


def reason_text(location: Location, lang: str) -> str | None:
    """Why ``location``'s region is unknown (or may be wrong), in ``lang``; None if it says nothing.

    The plugin's ``why`` is worded from the terms; a location from an older inventory has only
    its English sentence, which a Japanese reader is shown as a quotation.
    """
    why = location.why
    if why is not None:
        return _text(why.key, why.subject, why.value, why.text, lang, REASON)
    if not location.unknown_reason:
        return None
    return quote(location.unknown_reason) if lang == "ja" else location.unknown_reason


def gap_reason_text(gap: Gap, lang: str) -> str:
    """Why a setting was not read, in ``lang``, with the API's error code and words.

    A plugin's ``why`` is worded from the terms (its value is the error code); else the code,
    then the plugin's English reason as a quotation.
    """
    why = gap.why
    if why is not None:
        return _text(why.key, why.subject, why.value, why.text, lang, REASON)
    return (f"{code(gap.error_code)} " if gap.error_code else "") + quote(gap.reason)


def reason_pair(location: Location) -> tuple[str, str] | None:
    """The reason as (Japanese, English); None if the location gives none."""
    ja, en = reason_text(location, "ja"), reason_text(location, "en")
    return None if ja is None or en is None else (ja, en)


_Plain = tuple[tuple[str, str | None, str | None, str | None], ...]


def _plain(items: Iterable[Evidence]) -> _Plain:
    return tuple((i.key, i.subject, i.value, i.text) for i in items)


def evidence_pairs(items: Iterable[Evidence]) -> tuple[tuple[str, str], ...]:
    """Each item as (Japanese, English): what a bilingual page stores per item."""
    return _pairs(_plain(items), EVIDENCE)


def details_pair(items: Iterable[Evidence]) -> tuple[str, str] | None:
    """An encryption's details as one (Japanese, English) line; None when it has none."""
    plain = _plain(items)
    if not plain:
        return None
    ja, en = zip(*_pairs(plain, ENCRYPTION_DETAIL), strict=True)
    return _JOIN["ja"].join(ja), _JOIN["en"].join(en)


# buckets set up alike have the same items: a page of 20,000 words each list once
@lru_cache(maxsize=4096)
def _pairs(plain: _Plain, kind: str) -> tuple[tuple[str, str], ...]:
    return tuple((_text(*item, "ja", kind), _text(*item, "en", kind)) for item in plain)

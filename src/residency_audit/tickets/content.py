"""What a ticket says, in Japanese or English, as a small tracker-neutral document.

Every sink renders the same :class:`Doc` into its own format (ADF, wiki markup, Markdown, text).
Bucket names, messages and tags are untrusted: control characters are dropped here and each
renderer escapes what its format would interpret.

Severities, roles, certainties, guideline items and countries are named through the report's own
label table and country names, so a ticket and the report it links to use the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..catalog.names import country_names
from ..markup import plain
from ..model import Certainty, Finding, Severity
from .buckets import FlaggedBucket

__all__ = ["Block", "Doc", "TicketText", "clean", "close_doc", "comment_doc", "ticket_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str) -> str:
    """One line of untrusted text: no control characters, no newlines."""
    return " ".join(_CONTROL.sub(" ", plain(text)).split())


@dataclass(frozen=True)
class Block:
    kind: str  # "h" heading, "p" paragraph, "ul" bullet list, "link" labelled URL paragraph
    text: str = ""
    items: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class Doc:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class TicketText:
    title: str
    body: Doc


def _t(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


# The report package is imported when a ticket is written, not with this module: config imports
# the ticket settings, and the report package imports config (a cycle at import time).
def _label(key: str, lang: str, default: str) -> str:
    from ..report.labels import all_labels

    entry = all_labels().get(key)
    return entry[lang] if entry else default


def _sev(sev: Severity | str, lang: str) -> str:
    value = sev.value if isinstance(sev, Severity) else sev
    return _label(f"severity.{value}", lang, value)


def _item(item: str, lang: str) -> str:
    """``(2)-1`` stays as the guideline numbers it; ``(1)-note`` is the guideline's なお書き."""
    return _label(f"item.{item}", lang, item)


def _items(items: tuple[str, ...], lang: str) -> str:
    shown = ", ".join(_item(i, lang) for i in items) or "-"
    return _t(lang, f"ガイドライン {shown}", f"guideline {shown}")


def _country(code: str, lang: str) -> str:
    names = country_names().get(code)
    return f"{names[0 if lang == 'ja' else 1]} ({code})" if names else code


def _mechanism(code: str | None, lang: str) -> str | None:
    """The mechanism's name; a bare code only in English (no code in Japanese prose)."""
    if not code:
        return None
    entry = _label(f"mechanism.{code}", lang, "")
    return clean(entry) if entry else (clean(code) if lang == "en" else None)


def _finding_line(f: Finding, lang: str) -> str:
    parts = [f"[{_sev(f.severity, lang)}] {_items(f.guideline_items, lang)}"]
    parts.append(clean(f.message.get(lang)))
    if f.location is not None:
        loc = f.location
        codes = loc.countries or ((loc.country,) if loc.country else ())
        unknown = _label("unknown", lang, "unknown")
        countries = ", ".join(_country(c, lang) for c in codes) or unknown
        role = _label(f"role.{loc.role.value}", lang, loc.role.value)
        sep = _t(lang, "、", ", ")
        where = role + (f" {clean(loc.region)}" if loc.region else "") + sep + clean(countries)
        if loc.certainty is not Certainty.CONFIRMED:
            where += sep + _label(f"certainty.{loc.certainty.value}", lang, loc.certainty.value)
        mechanism = _mechanism(loc.mechanism, lang)
        if mechanism:
            where += _t(lang, f"（仕組み: {mechanism}）", f" (through {mechanism})")
        parts.append(_label("col.location", lang, "location") + f": {where}")
    remediation = _label("col.remediation", lang, "remediation")
    parts.append(f"{remediation}: " + clean(f.remediation.get(lang)))
    parts.append(f"{_t(lang, 'ルール', 'rule')} {clean(f.rule_id)}, fp {f.fingerprint[:12]}")
    return " — ".join(parts)


def _findings_blocks(bucket: FlaggedBucket, lang: str) -> list[Block]:
    n = len(bucket.findings)
    return [
        Block("h", _t(lang, f"現在の指摘 ({n} 件)", f"Current findings ({n})")),
        Block("ul", items=tuple(_finding_line(f, lang) for f in bucket.findings)),
    ]


def _report_block(report: str | None, lang: str) -> Block:
    label = _t(lang, "レポート", "Report")
    if report and report.startswith(("https://", "http://")):
        return Block("link", f"{label}: ", url=report)
    return Block("p", f"{label}: {clean(report) if report else _t(lang, '(未設定)', '(not set)')}")


def _marker(kind: str, value: str) -> Block:
    return Block("p", f"residency-audit {kind}: {value}")


def ticket_text(
    bucket: FlaggedBucket,
    *,
    lang: str,
    scan_id: str,
    report: str | None,
    previous: Sequence[str] = (),
) -> TicketText:
    name = clean(bucket.name)
    sev = _sev(bucket.worst.severity, lang)
    title = _t(
        lang,
        f"データ所在: {name} — {_items((bucket.worst_item,), lang)}（{sev}）",
        f"Data residency: {name} — {_items((bucket.worst_item,), lang)} ({sev})",
    )
    blocks = [
        Block(
            "p",
            _t(
                lang,
                f"residency-audit がバケット {name}（{bucket.provider} {clean(bucket.scope)}）"
                f"に指摘を出しました（スキャン {clean(scan_id)}）。",
                f"residency-audit flagged bucket {name} ({bucket.provider} "
                f"{clean(bucket.scope)}) in scan {clean(scan_id)}.",
            ),
        ),
        Block("p", _t(lang, "リソース", "Resource") + f": {clean(bucket.uid)}"),
        *_findings_blocks(bucket, lang),
        _report_block(report, lang),
    ]
    if previous:
        blocks.append(
            Block("p", _t(lang, "以前のチケット", "Earlier ticket") + ": " + ", ".join(previous))
        )
    blocks.append(_marker("bucket", bucket.key))
    return TicketText(title=title[:250], body=Doc(tuple(blocks)))


def comment_doc(
    bucket: FlaggedBucket,
    *,
    lang: str,
    scan_id: str,
    report: str | None,
    before: Sequence[dict[str, str]],
    reopened: bool = False,
) -> Doc:
    """The one comment a change (or a return after close) gets: what moved, then the full list."""
    old = {d["fingerprint"]: d.get("severity", "") for d in before}
    new = {f.fingerprint: f for f in bucket.findings}
    added = [f for fp, f in new.items() if fp not in old]
    gone = [fp for fp in old if fp not in new]
    moved = [f for fp, f in new.items() if fp in old and old[fp] != f.severity.value]
    head = (
        _t(
            lang,
            f"指摘が再発しました（スキャン {clean(scan_id)}）。",
            f"Findings are back (scan {clean(scan_id)}).",
        )
        if reopened
        else _t(
            lang,
            f"指摘が変わりました（スキャン {clean(scan_id)}）。",
            f"Findings changed (scan {clean(scan_id)}).",
        )
    )
    lines: list[str] = []
    lines += [_t(lang, "新規: ", "new: ") + _finding_line(f, lang) for f in added]
    lines += [
        _t(lang, "重大度変更: ", "severity changed: ")
        + f"{_sev(old[f.fingerprint], lang)} → {_sev(f.severity, lang)}: {f.fingerprint[:12]}"
        for f in moved
    ]
    lines += [_t(lang, "解消: ", "no longer found: ") + fp[:12] for fp in gone]
    blocks = [Block("p", head)]
    if lines:
        blocks.append(Block("ul", items=tuple(lines)))
    blocks += [*_findings_blocks(bucket, lang), _report_block(report, lang)]
    blocks.append(_marker("digest", bucket.digest[:16]))
    return Doc(tuple(blocks))


def close_doc(
    *, name: str, provider: str, scope: str, lang: str, scan_id: str, report: str | None
) -> Doc:
    text = _t(
        lang,
        f"解消: スキャン {clean(scan_id)} は {provider} {clean(scope)} を完全に収集し、"
        f"バケット {clean(name)} にチケット対象の指摘は残っていません。",
        f"Resolved: scan {clean(scan_id)} collected {provider} {clean(scope)} completely and no "
        f"finding that qualifies for a ticket remains on bucket {clean(name)}.",
    )
    return Doc((Block("p", text), _report_block(report, lang), _marker("closed", clean(scan_id))))

"""The data the report's script renders from: embedded once, as compact JSON (``#ra-data``).

Schema ``residency-audit/report-data/v2``. A 20,000-bucket scan has tens of thousands of findings
whose texts repeat a lot (remediations, the basis sentence of a message, catalog sources), so every
repeated text is stored once in a string table ``s`` and referred to by index. Messages are split
into sentences first: the bucket-specific sentence is unique, the explanation after it is shared.

``findings[i]`` (table order, worst first) and ``buckets[j]`` (provider, scope, name order) use
short keys; see docs/reports.md ("For extenders") for the full key list. Keys with an empty,
false or null value are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from typing import Any

from ..evidence import LANGS, details_text, evidence_text
from ..localtime import local_date
from ..model import Bucket, Finding
from ..results import ScanResult
from .countries import country_names
from .facts import effective_certainty

__all__ = ["REPORT_DATA_SCHEMA", "StringTable", "page_data"]

REPORT_DATA_SCHEMA = "residency-audit/report-data/v2"

_SENTENCE_JA = re.compile(r"(?<=。)")
_SENTENCE_EN = re.compile(r"(?<=[.:]) (?=[A-Z(])")


class StringTable:
    def __init__(self) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int | None:
        if value is None:
            return None
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.strings)
            self.strings.append(value)
        return index

    def sentences(self, text: str, lang: str) -> list[int]:
        if lang == "ja":
            parts = [p for p in _SENTENCE_JA.split(text) if p]
        else:
            pieces = _SENTENCE_EN.split(text)
            # keep the separating space with the sentence before it: joining gives the original
            parts = [p + " " for p in pieces[:-1]] + pieces[-1:]
        return [i for p in parts if (i := self(p)) is not None] or [self("") or 0]


def _empty(value: Any) -> bool:
    # identity for False: 0 is a real value (bucket index 0), never "empty"
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not _empty(v)}


def _bucket(b: Bucket, s: StringTable) -> dict[str, Any]:
    # the encryption details as one line, and each evidence item, as [ja, en] in s
    enc = b.encryption
    detail = [s(details_text(enc.details, lang)) for lang in LANGS] if enc.details else None
    pub = [[s(evidence_text(e, lang)) for lang in LANGS] for e in b.public_access.evidence]
    locations = []
    for loc in b.locations:
        res = loc.resolution
        locations.append(
            [
                loc.role.value,
                s(loc.provider),
                s(loc.region),
                s(loc.mechanism),
                s(loc.target),
                effective_certainty(loc).value,
                1 if loc.derived else 0,
                s(loc.unknown_reason),
                list(res.countries) if res else [],
                None if res is None else (1 if res.verified else 0),
                s(res.source) if res else None,
                s(res.note) if res and res.note else None,
            ]
        )
    return _compact(
        {
            "n": b.name,
            "u": b.uid,
            "p": s(b.provider),
            "sc": s(b.scope),
            "tags": [[s(k), s(v)] for k, v in sorted(b.tags.items())],
            "cl": b.classification.value if b.classification else None,
            "cs": s(b.classification_source),
            "enc": [enc.tier.value, s(enc.key_id), detail],
            "pub": [b.public_access.verdict.value, pub],
            "ext": list(b.external_principals),
            "loc": locations,
            "gaps": [
                [s(g.field), s(g.reason), g.error_code, [h.value for h in g.hides]] for g in b.gaps
            ],
        }
    )


NAME_MARK = "\ue000"  # a private-use character: stands for the bucket name in a message


def _template(text: str, name: str | None) -> str:
    return text.replace(name, NAME_MARK) if name else text


def _finding(
    f: Finding, s: StringTable, bucket_index: dict[str, int], zone: tzinfo
) -> dict[str, Any]:
    loc = f.location
    name = f.resource.name if f.resource else None
    if name and (NAME_MARK in f.message.ja or NAME_MARK in f.message.en):
        name = None  # the mark already occurs in the text: keep the text as it is
    b = bucket_index.get(f.resource.uid) if f.resource else None
    sup = f.suppression
    return _compact(
        {
            "fp": f.fingerprint,
            "r": s(f.rule_id),
            "it": list(f.guideline_items),
            "sv": f.severity.value,
            "bs": f.base_severity.value if f.base_severity is not f.severity else None,
            "p": s(f.provider),
            "sc": s(f.scope),
            "b": b,
            # a resource the inventory does not hold still shows its name
            "rn": [f.resource.name, f.resource.uid] if f.resource and b is None else None,
            "l": (
                [
                    loc.role.value,
                    s(loc.region),
                    loc.country,
                    list(loc.countries),
                    loc.certainty.value,
                    s(loc.mechanism),
                    s(loc.target),
                ]
                if loc
                else None
            ),
            # the bucket's name becomes a placeholder, so the same sentence about another bucket
            # is stored once; the script puts the name back ("mt": 1)
            "m": [
                s.sentences(_template(f.message.ja, name), "ja"),
                s.sentences(_template(f.message.en, name), "en"),
            ],
            "mt": 1 if name else None,
            "rm": [s(f.remediation.ja), s(f.remediation.en)],
            "adj": [[s(a.ja), s(a.en)] for a in f.adjustments],
            "u": 1 if f.unverified else None,
            "cl": f.classification.value if f.classification else None,
            "st": f.state.value if f.state else None,
            "fs": local_date(f.first_seen, zone).isoformat() if f.first_seen else None,
            "sup": [sup.id, sup.reason, sup.approved_by, sup.expires.isoformat()] if sup else None,
        }
    )


def page_data(
    result: ScanResult,
    lang: str,
    findings: tuple[Finding, ...],
    buckets: list[Bucket],
    bucket_index: dict[str, int],  # bucket uid -> its position in ``buckets``
    labels: dict[str, dict[str, str]],
    tiers: dict[str, str],
    zone: tzinfo = UTC,  # the report's zone: dates shown to the reader are in it
) -> dict[str, Any]:
    s = StringTable()
    bucket_rows = [_bucket(b, s) for b in buckets]
    finding_rows = [_finding(f, s, bucket_index, zone) for f in findings]
    used = {
        c
        for b in buckets
        for loc in b.locations
        if loc.resolution
        for c in loc.resolution.countries
    }
    used |= {c for f in findings if f.location for c in (f.location.countries or ())}
    names = country_names()
    return {
        "schema": REPORT_DATA_SCHEMA,
        "lang": lang,
        "labels": {k: [v["ja"], v["en"]] for k, v in labels.items()},
        "countries": {c: list(names.get(c, (c, c))) for c in sorted(used)},
        "tiers": tiers,
        "scan": result.scan.model_dump(mode="json", by_alias=True),
        "s": s.strings,
        "findings": finding_rows,
        "buckets": bucket_rows,
    }

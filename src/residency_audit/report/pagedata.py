"""The data the report's script renders from: embedded once, as compact JSON (``#ra-data``).

Schema ``residency-audit/report-data/v3``. A 20,000-bucket scan has some 44,000 findings, and
most of what they say repeats: the same rule, message explanation, location and remediation for
every bucket cloned from one pattern. So the data is column-oriented (no key repeated per row)
and every repeated value is stored once:

* ``s``, the string table: every repeated text (index 0 is the empty string, "none");
* ``v``, the value table: every composite value (a location, a message's sentence list, a
  bucket's tags ...) stored once by content (index 0 is null, "none");
* ``e``, the enum legends: a dense enum column holds a small integer, ``e[column][n]`` its value
  (index 0 is null);
* a bucket's uid is stored as a template with U+E000 for its name (``arn:aws:s3:::\\ue000`` is one
  string for every S3 bucket);
* a finding's fingerprint is its first 16 hex digits, all of them in one string (enough to tell
  rows apart in a search; JSON, CSV and the workbook keep the whole fingerprint).

Messages are split into sentences first: the bucket-specific sentence is unique, the explanation
after it is shared. See docs/reports.md ("For extenders") for every column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, tzinfo
from enum import StrEnum
from typing import Any

from ..evidence import details_pair, evidence_pairs, gap_reason_text, reason_pair
from ..localtime import local_date
from ..model import Bucket, Certainty, Classification, Finding, FindingState, Gap, Role, Severity
from ..results import ScanResult
from .countries import country_names
from .facts import effective_certainty
from .provenance import source_numbers

__all__ = ["FP_CHARS", "NAME_MARK", "REPORT_DATA_SCHEMA", "StringTable", "ValueTable", "page_data"]

REPORT_DATA_SCHEMA = "residency-audit/report-data/v3"

NAME_MARK = "\ue000"  # a private-use character: stands for the bucket name in a message or uid
TAIL_MARK = "\ue005"  # in a uid: the name after its last "/" (an Azure container)
FP_CHARS = 16  # hex digits of a fingerprint kept in the page

_SENTENCE_JA = re.compile(r"(?<=。)")
_SENTENCE_EN = re.compile(r"(?<=[.:]) (?=[A-Z(])")

# dense enum columns: index 0 is "none", so an optional value needs no null
ENUMS: dict[str, tuple[str | None, ...]] = {
    "sv": (None, *(x.value for x in Severity)),
    "cl": (None, *(x.value for x in Classification)),
    "st": (None, *(x.value for x in FindingState)),
    "role": (None, *(x.value for x in Role)),
    "cert": (None, *(x.value for x in Certainty)),
}
_ENUM_INDEX = {col: {v: i for i, v in enumerate(vals)} for col, vals in ENUMS.items()}


def _enum(column: str, value: StrEnum | None) -> int:
    return 0 if value is None else _ENUM_INDEX[column][value]  # a StrEnum is its value as a key


class StringTable:
    def __init__(self) -> None:
        self.strings: list[str] = [""]
        self._index: dict[str, int] = {"": 0}
        self._split: dict[tuple[str, str], tuple[int, ...]] = {}

    def __call__(self, value: str | None) -> int | None:
        if value is None:
            return None
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.strings)
            self.strings.append(value)
        return index

    def sentences(self, text: str, lang: str) -> tuple[int, ...]:
        # the same message (its name a placeholder) comes back for every bucket of one pattern
        known = self._split.get((text, lang))
        if known is not None:
            return known
        self._split[text, lang] = split = self._sentences(text, lang)
        return split

    def _sentences(self, text: str, lang: str) -> tuple[int, ...]:
        if lang == "ja":
            parts = [p for p in _SENTENCE_JA.split(text) if p]
        else:
            pieces = _SENTENCE_EN.split(text)
            # keep the separating space with the sentence before it: joining gives the original
            parts = [p + " " for p in pieces[:-1]] + pieces[-1:]
        return tuple(self(p) or 0 for p in parts) or (0,)


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(x) for x in value)
    return value


class ValueTable:
    """Composite values (JSON arrays) stored once by content; 0 stands for none."""

    def __init__(self) -> None:
        self.values: list[Any] = [None]
        self._index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        if not value:  # None or empty: a column's "none"
            return 0
        try:
            index = self._index.get(value)  # a tuple of strings, numbers and tuples: as it is
            key = value
        except TypeError:  # a list somewhere inside
            key = _freeze(value)
            index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.values)
            self.values.append(value)
        return index


# In the tuples below an enum member stands for its value: a StrEnum is a str, so it is
# interned and written to JSON as that string (without a .value per row, at 20,000 buckets)


def _gap_reason(gap: Gap, s: StringTable) -> tuple[int | None, int | None]:
    """Why a setting was not read, as [ja, en] in s."""
    return s(gap_reason_text(gap, "ja")), s(gap_reason_text(gap, "en"))


def _locations(b: Bucket, s: StringTable, basis: dict[str, int]) -> tuple[Any, ...]:
    rows = []
    for loc in b.locations:
        res = loc.resolution
        why = reason_pair(loc)  # the reason and the catalog's note as [ja, en] in s
        rows.append(
            (
                loc.role,
                s(loc.provider),
                s(loc.region),
                s(loc.mechanism),
                s(loc.target),
                effective_certainty(loc),
                1 if loc.derived else 0,
                (s(why[0]), s(why[1])) if why else None,
                tuple(res.countries) if res else (),
                None if res is None else (1 if res.verified else 0),
                basis.get(res.source) if res and res.source else None,  # the appendix's [n]
                (s(res.note_ja or res.note), s(res.note)) if res and res.note else None,
            )
        )
    return tuple(rows)


def _uid_template(b: Bucket) -> str | None:
    """The uid with the bucket's name as U+E000 (an Azure container's own name as U+E005), so
    every bucket of one account or provider shares one string; None if a mark occurs in it."""
    uid, name = b.uid, b.name
    if NAME_MARK in uid + name or TAIL_MARK in uid + name:
        return None
    if name in uid:
        return uid.replace(name, NAME_MARK)
    tail = name.rsplit("/", 1)[-1]
    if tail and uid.endswith("/" + tail):
        return uid[: -len(tail)] + TAIL_MARK
    return uid


def _buckets(
    buckets: list[Bucket], s: StringTable, v: ValueTable, basis: dict[str, int]
) -> dict[str, Any]:
    cols: dict[str, list[Any]] = {k: [] for k in ("n", "u", "p", "sc", "tags", "cl", "cs")}
    cols |= {k: [] for k in ("enc", "pub", "ext", "loc", "gaps")}
    literal: dict[str, str] = {}  # a uid stored as it is (sparse: bucket index -> uid)
    for b in buckets:
        cols["n"].append(b.name)
        template = _uid_template(b)
        cols["u"].append(s(template) or 0)
        if template is None:
            literal[str(len(cols["n"]) - 1)] = b.uid
        cols["p"].append(s(b.provider))
        cols["sc"].append(s(b.scope))
        cols["tags"].append(v(tuple((s(k), s(x)) for k, x in sorted(b.tags.items()))))
        cols["cl"].append(_enum("cl", b.classification))
        cols["cs"].append(s(b.classification_source) or 0)
        # the encryption details as one line, and each evidence item, as [ja, en] in s
        enc = b.encryption
        pair = details_pair(enc.details)
        detail = (s(pair[0]), s(pair[1])) if pair else None
        cols["enc"].append(v((enc.tier, s(enc.key_id), detail)))
        pub = tuple((s(ja), s(en)) for ja, en in evidence_pairs(b.public_access.evidence))
        cols["pub"].append(v((b.public_access.verdict, pub)))
        cols["ext"].append(v(tuple(b.external_principals)))
        cols["loc"].append(v(_locations(b, s, basis)))
        cols["gaps"].append(
            v(tuple((s(g.field), _gap_reason(g, s), g.error_code, tuple(g.hides)) for g in b.gaps))
        )
    return {"count": len(buckets), **cols, "ul": literal}


def _template(text: str, name: str | None) -> str:
    return text.replace(name, NAME_MARK) if name else text


def _findings(
    findings: Iterable[Finding],
    s: StringTable,
    v: ValueTable,
    bucket_index: dict[str, int],
    zone: tzinfo,
) -> dict[str, Any]:
    dense = ("r", "it", "sv", "p", "sc", "b", "l", "m", "rm", "adj", "cl", "st", "fs")
    cols: dict[str, list[Any]] = {k: [] for k in dense}
    sparse: dict[str, dict[str, Any]] = {k: {} for k in ("bs", "rn", "u", "sup")}
    prints: list[str] = []
    days: dict[Any, int] = {}  # first-seen instant -> its local date in s (one per scan)
    for i, f in enumerate(findings):
        loc = f.location
        name = f.resource.name if f.resource else None
        if name and (NAME_MARK in f.message.ja or NAME_MARK in f.message.en):
            name = None  # the mark already occurs in the text: keep the text as it is
        b = bucket_index.get(f.resource.uid) if f.resource else None
        prints.append(f.fingerprint[:FP_CHARS].ljust(FP_CHARS, "-"))
        cols["r"].append(s(f.rule_id))
        cols["it"].append(v(tuple(f.guideline_items)))
        cols["sv"].append(_enum("sv", f.severity))
        cols["p"].append(s(f.provider))
        cols["sc"].append(s(f.scope))
        cols["b"].append(-1 if b is None else b)
        cols["l"].append(
            v(
                (
                    loc.role,
                    s(loc.region),
                    loc.country,
                    tuple(loc.countries),
                    loc.certainty,
                    s(loc.mechanism),
                    s(loc.target),
                )
                if loc
                else None
            )
        )
        # the bucket's name becomes a placeholder, so the same sentence about another bucket
        # is stored once; the script puts the name back (first element 1)
        cols["m"].append(
            v(
                (
                    1 if name else 0,
                    s.sentences(_template(f.message.ja, name), "ja"),
                    s.sentences(_template(f.message.en, name), "en"),
                )
            )
        )
        cols["rm"].append(v((s(f.remediation.ja), s(f.remediation.en))))
        cols["adj"].append(v(tuple((s(a.ja), s(a.en)) for a in f.adjustments)))
        cols["cl"].append(_enum("cl", f.classification))
        cols["st"].append(_enum("st", f.state))
        if f.first_seen is None:
            cols["fs"].append(0)
        else:
            day = days.get(f.first_seen)
            if day is None:
                day = days[f.first_seen] = s(local_date(f.first_seen, zone).isoformat()) or 0
            cols["fs"].append(day)
        key = str(i)
        if f.base_severity is not f.severity:
            sparse["bs"][key] = _enum("sv", f.base_severity)
        if f.resource and b is None:  # a resource the inventory does not hold still shows its name
            sparse["rn"][key] = [f.resource.name, f.resource.uid]
        if f.unverified:
            sparse["u"][key] = 1
        sup = f.suppression
        if sup:
            sparse["sup"][key] = v((sup.id, sup.reason, sup.approved_by, sup.expires.isoformat()))
    return {"count": len(prints), "fp": "".join(prints), **cols, **sparse}


def page_data(
    result: ScanResult,
    lang: str,
    findings: tuple[Finding, ...],
    buckets: list[Bucket],
    bucket_index: dict[str, int],  # bucket uid -> its position in ``buckets``
    labels: dict[str, dict[str, str]],
    tiers: dict[str, str],
    zone: tzinfo = UTC,  # the report's zone: dates shown to the reader are in it
    basis: dict[str, int] | None = None,  # the 判定根拠 numbers, when the caller has them
) -> dict[str, Any]:
    s = StringTable()
    v = ValueTable()
    bucket_cols = _buckets(buckets, s, v, source_numbers(buckets) if basis is None else basis)
    finding_cols = _findings(findings, s, v, bucket_index, zone)
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
        "labels": {k: [x["ja"], x["en"]] for k, x in labels.items()},
        "countries": {c: list(names.get(c, (c, c))) for c in sorted(used)},
        "tiers": tiers,
        "scan": result.scan.model_dump(mode="json", by_alias=True),
        "e": ENUMS,
        "s": s.strings,
        "v": v.values,
        "findings": finding_cols,
        "buckets": bucket_cols,
    }

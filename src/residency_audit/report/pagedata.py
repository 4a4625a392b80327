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
from datetime import UTC, tzinfo
from enum import StrEnum
from typing import Any

from ..evidence import details_pair, evidence_pairs, gap_reason_text, reason_pair
from ..localtime import local_date
from ..model import Bucket, Certainty, Classification, Finding, FindingState, Gap, Role, Severity
from ..results import ScanResult
from .countries import country_names
from .facts import effective_certainty

__all__ = ["FP_CHARS", "NAME_MARK", "REPORT_DATA_SCHEMA", "PageData", "StringTable", "ValueTable"]

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

    def replace(self, index: int, value: Any) -> None:
        """The value at ``index`` becomes ``value`` (a tuple; no other index holds it)."""
        self._index.pop(_freeze(self.values[index]), None)
        self._index[_freeze(value)] = index
        self.values[index] = value


# In the tuples below an enum member stands for its value: a StrEnum is a str, so it is
# interned and written to JSON as that string (without a .value per row, at 20,000 buckets)


def _gap_reason(gap: Gap, s: StringTable) -> tuple[int | None, int | None]:
    """Why a setting was not read, as [ja, en] in s."""
    return s(gap_reason_text(gap, "ja")), s(gap_reason_text(gap, "en"))


def _locations(b: Bucket, s: StringTable) -> tuple[Any, ...]:
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
                # the appendix's [n]: the source text until every bucket has been read
                res.source if res and res.source else None,
                (s(res.note_ja or res.note), s(res.note)) if res and res.note else None,
                # a CDN whose geo restriction leaves no edge: no country, and not an unknown
                1 if res and res.none_left else 0,
            )
        )
    return tuple(rows)


_BASIS = 10  # where a location row holds its source's number


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


def _template(text: str, name: str | None) -> str:
    return text.replace(name, NAME_MARK) if name else text


_BUCKET_COLUMNS = ("n", "u", "p", "sc", "tags", "cl", "cs", "enc", "pub", "ext", "loc", "gaps")
_FINDING_COLUMNS = ("r", "it", "sv", "p", "sc", "b", "l", "m", "rm", "adj", "cl", "st", "fs")


class PageData:
    """The page's data, fed every bucket (in the page's order), then every finding (in report
    order), one at a time: what it keeps is the columns themselves -- small integers and indexes
    into the string and value tables -- never a bucket or a finding."""

    def __init__(self, zone: tzinfo = UTC) -> None:  # the report's zone, for dates shown
        self._zone = zone
        self._s = StringTable()
        self._v = ValueTable()
        self._b: dict[str, list[Any]] = {k: [] for k in _BUCKET_COLUMNS}
        self._b_literal: dict[str, str] = {}  # a uid stored as it is (bucket index -> uid)
        self._located: set[int] = set()  # value indexes of bucket location lists
        self.bucket_index: dict[str, int] = {}  # bucket uid -> its position in the page
        self._f: dict[str, list[Any]] = {k: [] for k in _FINDING_COLUMNS}
        self._f_sparse: dict[str, dict[str, Any]] = {k: {} for k in ("bs", "rn", "u", "sup")}
        self._prints: list[str] = []
        self._days: dict[Any, int] = {}  # first-seen instant -> its local date in s (one per scan)
        self._used: set[str] = set()  # every country named, for the country names

    def add_bucket(self, b: Bucket) -> None:
        s, v, cols = self._s, self._v, self._b
        position = len(cols["n"])
        self.bucket_index[b.uid] = position
        cols["n"].append(b.name)
        template = _uid_template(b)
        cols["u"].append(s(template) or 0)
        if template is None:
            self._b_literal[str(position)] = b.uid
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
        located = v(_locations(b, s))
        cols["loc"].append(located)
        if located:
            self._located.add(located)
        cols["gaps"].append(
            v(tuple((s(g.field), _gap_reason(g, s), g.error_code, tuple(g.hides)) for g in b.gaps))
        )
        for loc in b.locations:
            if loc.resolution:
                self._used.update(loc.resolution.countries)

    def add_finding(self, f: Finding) -> None:
        s, v, cols, sparse = self._s, self._v, self._f, self._f_sparse
        loc = f.location
        name = f.resource.name if f.resource else None
        if name and (NAME_MARK in f.message.ja or NAME_MARK in f.message.en):
            name = None  # the mark already occurs in the text: keep the text as it is
        b = self.bucket_index.get(f.resource.uid) if f.resource else None
        key = str(len(self._prints))
        self._prints.append(f.fingerprint[:FP_CHARS].ljust(FP_CHARS, "-"))
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
            day = self._days.get(f.first_seen)
            if day is None:
                day = s(local_date(f.first_seen, self._zone).isoformat()) or 0
                self._days[f.first_seen] = day
            cols["fs"].append(day)
        if f.base_severity is not f.severity:
            sparse["bs"][key] = _enum("sv", f.base_severity)
        if f.resource and b is None:  # a resource the inventory does not hold still shows its name
            sparse["rn"][key] = [f.resource.name, f.resource.uid]
        if f.unverified:
            sparse["u"][key] = 1
        sup = f.suppression
        if sup:
            sparse["sup"][key] = v((sup.id, sup.reason, sup.approved_by, sup.expires.isoformat()))
        if loc:
            self._used.update(loc.countries or ())

    def finish(
        self,
        result: ScanResult,
        lang: str,
        labels: dict[str, dict[str, str]],
        tiers: dict[str, str],
        basis: dict[str, int],  # the 判定根拠 numbers (provenance.Sources)
    ) -> dict[str, Any]:
        """The data, once every bucket and finding is in."""
        for index in self._located:  # each source text becomes its number, now that all are known
            self._v.replace(
                index,
                tuple(
                    (
                        *row[:_BASIS],
                        basis.get(row[_BASIS]) if row[_BASIS] else None,
                        *row[_BASIS + 1 :],
                    )
                    for row in self._v.values[index]
                ),
            )
        names = country_names()
        return {
            "schema": REPORT_DATA_SCHEMA,
            "lang": lang,
            "labels": {k: [x["ja"], x["en"]] for k, x in labels.items()},
            "countries": {c: list(names.get(c, (c, c))) for c in sorted(self._used)},
            "tiers": tiers,
            "scan": result.scan.model_dump(mode="json", by_alias=True),
            "e": ENUMS,
            "s": self._s.strings,
            "v": self._v.values,
            "findings": {
                "count": len(self._prints),
                "fp": "".join(self._prints),
                **self._f,
                **self._f_sparse,
            },
            "buckets": {"count": len(self._b["n"]), **self._b, "ul": self._b_literal},
        }

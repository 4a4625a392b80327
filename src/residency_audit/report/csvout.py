"""findings.csv and inventory.csv: spreadsheet-safe CSV.

Tags, labels, account aliases and cloud error texts are attacker-controllable and end up in cells.
A spreadsheet treats a cell starting with ``= + - @`` (and, in some, TAB, CR, LF or NUL) as a
formula, so every such string cell gets a leading ``'`` (OWASP CSV injection). So does a cell whose
formula character is the full-width ``＝ ＋ － ＠`` (Excel with a Japanese IME takes those as
formulas too) or comes after leading spaces or a BOM, which spreadsheets skip. Every field is
quoted, so embedded CR/LF stay inside their cell. A lone surrogate becomes U+FFFD, so a stray one
never stops the export (the scan already replaces those and control characters in plugin text).
UTF-8 with a BOM so Excel on Japanese Windows opens it correctly. Headers are stable English names;
message text is in the report language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from ..markup import plain
from ..model import Bucket, Location
from ..plaintext import encodable
from ..results import ScanResult
from ..spill import in_order
from .facts import effective_certainty, finding_sort_key

__all__ = [
    "FINDINGS_COLUMNS",
    "INVENTORY_COLUMNS",
    "NO_LOCATION_REASON",
    "csv_chunks",
    "findings_csv",
    "findings_csv_chunks",
    "inventory_csv",
    "inventory_csv_chunks",
    "neutralise",
    "to_csv_bytes",
]

_BATCH = 512  # rows per chunk written

# a cell starting with one of these is taken as a formula (or hides one on the next line)
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# the same four, full-width (U+FF1D U+FF0B U+FF0D U+FF20)
_WIDE_TRIGGERS = ("\uff1d", "\uff0b", "\uff0d", "\uff20")
# skipped before a formula: every Unicode space (str.isspace), BOM, zero-width space and joiners
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"

Cell = str | int | float | bool | None

FINDINGS_COLUMNS = (
    "fingerprint",
    "rule_id",
    "guideline_items",
    "severity",
    "base_severity",
    "unverified",
    "provider",
    "scope",
    "resource_name",
    "resource_uid",
    "location_role",
    "location_region",
    "location_country",
    "location_countries",
    "location_certainty",
    "location_mechanism",
    "location_target",
    "classification",
    "message",
    "remediation",
    "adjustments",
    "state",
    "suppression_id",
    "suppression_expires",
    # every row carries the run it belongs to, so a CSV on its own says which profile judged it
    "scan_id",
    "profile",
    "profile_sha256",
    "profile_weakened",
)

INVENTORY_COLUMNS = (
    "provider",
    "scope",
    "bucket",
    "uid",
    "role",
    "region",
    "countries",
    "certainty",
    "mechanism",
    "target",
    "derived",
    "verified",
    "unknown_reason",
    "source",
    "encryption_tier",
    "public_verdict",
    "classification",
    # a CDN's geo restriction ("allow:JP;US" / "block:HK"), which narrowed ``countries``
    "edge_filter",
)

# A bucket with no recorded location still gets a row: dropping it would hide it.
NO_LOCATION_REASON = "no location recorded for this bucket"


def neutralise(value: Cell) -> str:
    """One cell as text; strings that a spreadsheet would run as a formula get a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a real number is data, never a formula; leave it alone
    value = plain(encodable(value))  # a marked code is shown as it is (markup.py)
    if value.startswith(_FORMULA_TRIGGERS) or _formula_behind_blanks(value):
        return "'" + value
    return value


def _formula_behind_blanks(value: str) -> bool:
    start = 0
    while start < len(value) and (value[start].isspace() or value[start] in _INVISIBLE):
        start += 1
    return value.startswith(_FORMULA_TRIGGERS + _WIDE_TRIGGERS, start)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """The CSV file (UTF-8 with a BOM, every cell quoted, CRLF) a few hundred rows at a time:
    at 100,000 buckets findings.csv is 300 MB, too much to hold as one string."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    yield "\ufeff".encode()  # the BOM "utf-8-sig" gives: Excel reads the file as UTF-8
    for count, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise ValueError(f"CSV row has {len(row)} cells, header has {len(header)}")
        writer.writerow([neutralise(cell) for cell in row])
        if count % _BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def weakened_text(result: ScanResult) -> str:
    """E.g. ``HK removed from concern weakens (2)-1``; empty when the profile is not weakened."""
    return "; ".join(
        f"{w.country} removed from {w.removed_from} weakens {', '.join(w.items)}"
        for w in result.scan.profile.weakened
    )


def findings_csv(result: ScanResult, lang: str) -> bytes:
    return b"".join(findings_csv_chunks(result, lang))


def findings_csv_chunks(result: ScanResult, lang: str) -> Iterator[bytes]:
    return csv_chunks(FINDINGS_COLUMNS, _finding_rows(result, lang))


def _finding_rows(result: ScanResult, lang: str) -> Iterator[list[Cell]]:
    profile = result.scan.profile
    run: list[Cell] = [result.scan.id, profile.name, profile.sha256, weakened_text(result)]
    for f in in_order(result.findings, finding_sort_key):  # a view when on disk (spill)
        loc = f.location
        yield [
            f.fingerprint,
            f.rule_id,
            ";".join(f.guideline_items),
            f.severity.value,
            f.base_severity.value,
            f.unverified,
            f.provider,
            f.scope,
            f.resource.name if f.resource else None,
            f.resource.uid if f.resource else None,
            loc.role.value if loc else None,
            loc.region if loc else None,
            loc.country if loc else None,
            ";".join(loc.countries) if loc else None,
            loc.certainty.value if loc else None,
            loc.mechanism if loc else None,
            loc.target if loc else None,
            f.classification.value if f.classification else None,
            f.message.get(lang),
            f.remediation.get(lang),
            " / ".join(a.get(lang) for a in f.adjustments),
            f.state.value if f.state else None,
            f.suppression.id if f.suppression else None,
            f.suppression.expires.isoformat() if f.suppression else None,
            *run,
        ]


def inventory_csv(result: ScanResult) -> bytes:
    return b"".join(inventory_csv_chunks(result))


def inventory_csv_chunks(result: ScanResult) -> Iterator[bytes]:
    return csv_chunks(INVENTORY_COLUMNS, _inventory_rows(result))


def _inventory_rows(result: ScanResult) -> Iterator[list[Cell]]:
    for bucket in result.inventory.buckets:
        if not bucket.locations:
            yield _location_row(bucket, None)
        yield from (_location_row(bucket, loc) for loc in bucket.locations)


def _location_row(bucket: Bucket, loc: Location | None) -> list[Cell]:
    res = loc.resolution if loc else None
    common_tail: list[Cell] = [
        bucket.encryption.tier.value,
        bucket.public_access.verdict.value,
        bucket.classification.value if bucket.classification else None,
    ]
    head: list[Cell] = [bucket.provider, bucket.scope, bucket.name, bucket.uid]
    if loc is None:
        # role .. verified empty, the reason in unknown_reason, no catalog source
        return [*head, *([None] * 8), NO_LOCATION_REASON, None, *common_tail, None]
    return [
        *head,
        loc.role.value,
        loc.region,
        ";".join(res.countries) if res else None,
        effective_certainty(loc).value,
        loc.mechanism,
        loc.target,
        loc.derived,
        res.verified if res else None,  # empty = not resolved at all
        loc.unknown_reason,
        res.source if res else None,
        *common_tail,
        _edge_filter(loc),
    ]


def _edge_filter(loc: Location) -> str | None:
    edges = loc.edge_filter
    return f"{edges.mode}:{';'.join(edges.countries)}" if edges is not None else None

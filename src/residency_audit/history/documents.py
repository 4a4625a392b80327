"""Content-addressed JSON (revision 0004): each distinct bucket or finding document stored once.

A 5,000-bucket estate scanned daily is mostly unchanged from one scan to the next; storing each
scan's full copy grew the history by ~57 MB a scan. Rows now name their document by the SHA-256 of
its JSON as pydantic serialises it (compact, fields in model order: the same content gives the same
text for one version of the model), so an unchanged bucket or finding costs one reference. A
changed model may store an unchanged bucket once more; two different contents never share. The
per-scan parts of a finding (state, first/last seen, suppression) stay in its row; the
per-fingerprint history (``finding_history``) refers to its last occurrence the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Row, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from ..model import Finding
from .models import FindingHistory, JsonDocument, ScanBucket, ScanFinding, ShardBucket
from .rows import CHUNK, insert_many

__all__ = [
    "FINDING_ANNOTATIONS",
    "DocumentBatch",
    "digest",
    "drop_unreferenced",
    "finding_json",
]

# what differs between scans for the same finding; kept in scan_findings' own columns
FINDING_ANNOTATIONS = frozenset({"state", "first_seen", "last_seen", "suppression"})


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finding_json(finding: Finding) -> str:
    """The finding without what differs between scans (kept in its row's own columns)."""
    return finding.model_dump_json(exclude=set(FINDING_ANNOTATIONS))


class DocumentBatch:
    """Documents one transaction refers to; :meth:`save` inserts the ones not yet stored."""

    def __init__(self, conn: Connection | None = None, *, hold: int = CHUNK) -> None:
        self._pending: dict[str, str] = {}
        # given the transaction, at most ``hold`` documents wait in memory: a 100,000-bucket scan's
        # documents are some 800 MB of JSON text
        self._conn = conn
        self._hold = hold

    def add(self, text: str) -> str:
        """Take a model's JSON (``model_dump_json()``); return the digest that names it."""
        key = digest(text)
        self._pending.setdefault(key, text)
        if self._conn is not None and len(self._pending) >= self._hold:
            self.save(self._conn)
        return key

    def save(self, conn: Connection) -> None:
        wanted = sorted(self._pending)
        stored = {r.digest for r in _stored(conn, wanted, JsonDocument.digest)}
        rows = (
            {"digest": k, "data": json.loads(self._pending[k])} for k in wanted if k not in stored
        )
        insert_many(conn, JsonDocument, rows)
        self._pending.clear()


def load_documents(conn: Connection, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = _stored(conn, digests, JsonDocument.digest, JsonDocument.data)
    return {r.digest: r.data for r in rows}


def _stored(
    conn: Connection, digests: Iterable[str], *columns: InstrumentedAttribute[Any]
) -> Iterator[Row[Any]]:
    """``columns`` of the stored documents among ``digests``, a chunk of digests per query."""
    wanted = sorted(set(digests))
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        yield from conn.execute(select(*columns).where(JsonDocument.digest.in_(chunk)))


def drop_unreferenced(conn: Connection) -> None:
    """Delete documents nothing refers to any more (after pruning scans)."""
    used: Iterable[Any] = (
        select(ScanBucket.data_digest),
        select(ScanFinding.data_digest),
        select(FindingHistory.data_digest),
        select(ShardBucket.data_digest),  # revision 0005: shards of a scan not yet assembled
    )
    query = delete(JsonDocument)
    for subquery in used:
        query = query.where(JsonDocument.digest.not_in(subquery))
    conn.execute(query)

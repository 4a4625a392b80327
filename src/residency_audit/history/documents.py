"""Content-addressed JSON (revision 0004): each distinct bucket or finding document stored once.

A 5,000-bucket estate scanned daily is mostly unchanged from one scan to the next; storing each
scan's full copy grew the history by ~57 MB a scan. Rows now name their document by the SHA-256 of
its canonical JSON (sorted keys, no whitespace), so an unchanged bucket or finding costs one
reference. The per-scan parts of a finding (state, first/last seen, suppression) stay in its row;
the per-fingerprint history (``finding_history``) refers to its last occurrence the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, select

from ..model import Finding
from .models import FindingHistory, JsonDocument, ScanBucket, ScanFinding
from .rows import CHUNK, insert_many

__all__ = [
    "FINDING_ANNOTATIONS",
    "DocumentBatch",
    "digest",
    "drop_unreferenced",
    "finding_document",
]

# what differs between scans for the same finding; kept in scan_findings' own columns
FINDING_ANNOTATIONS = frozenset({"state", "first_seen", "last_seen", "suppression"})


def digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def finding_document(finding: Finding) -> dict[str, Any]:
    return finding.model_dump(mode="json", exclude=set(FINDING_ANNOTATIONS))


class DocumentBatch:
    """Documents one transaction refers to; :meth:`save` inserts the ones not yet stored."""

    def __init__(self) -> None:
        self._pending: dict[str, dict[str, Any]] = {}

    def add(self, data: dict[str, Any]) -> str:
        key = digest(data)
        self._pending.setdefault(key, data)
        return key

    def save(self, conn: Connection) -> None:
        wanted = sorted(self._pending)
        stored: set[str] = set()
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            stored.update(
                conn.scalars(select(JsonDocument.digest).where(JsonDocument.digest.in_(chunk)))
            )
        rows = ({"digest": k, "data": self._pending[k]} for k in wanted if k not in stored)
        insert_many(conn, JsonDocument, rows)
        self._pending.clear()


def load_documents(conn: Connection, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(digests))
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(wanted), CHUNK):
        query = select(JsonDocument.digest, JsonDocument.data).where(
            JsonDocument.digest.in_(wanted[i : i + CHUNK])
        )
        found.update({key: data for key, data in conn.execute(query)})
    return found


def drop_unreferenced(conn: Connection) -> None:
    """Delete documents nothing refers to any more (after pruning scans)."""
    used: Iterable[Any] = (
        select(ScanBucket.data_digest),
        select(ScanFinding.data_digest),
        select(FindingHistory.data_digest),
    )
    query = delete(JsonDocument)
    for subquery in used:
        query = query.where(JsonDocument.digest.not_in(subquery))
    conn.execute(query)

"""Rows of the history tables to and from the model types (no queries here)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, insert
from sqlalchemy.engine import Row

from ..memo import Shared
from ..model import Finding
from .states import Track

__all__ = [
    "CHUNK",
    "PendingTrack",
    "ScanSummary",
    "chunks",
    "finding_row",
    "insert_many",
    "summary",
    "track",
    "track_row",
]

CHUNK = 500  # rows per INSERT and ids per IN (...); SQLite allows 32766 parameters, PG 65535
T = TypeVar("T")


@dataclass(frozen=True)
class ScanSummary:
    id: str
    started: datetime
    finished: datetime
    recorded_at: datetime
    profile: str
    complete: bool
    findings: int
    new: int
    reopened: int
    resolved: int
    suppressed: int
    previous_scan_id: str | None
    delivered: bool  # its reports were swapped in (False: the run stopped before that)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_many(conn: Connection, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    for batch in chunks(rows):
        conn.execute(insert(model), batch)


def finding_row(seq: int, f: Finding, *, resolved: bool, data_digest: str) -> dict[str, Any]:
    return {
        "scan_seq": seq,
        "fingerprint": f.fingerprint,
        "rule_id": f.rule_id,
        "severity": f.severity.value,
        "provider": f.provider,
        "scope": f.scope,
        "data_digest": data_digest,
        "suppression": f.suppression.model_dump(mode="json") if f.suppression else None,
        "resolved": resolved,
        "state": f.state.value if f.state else None,
        "first_seen": f.first_seen,
        "last_seen": f.last_seen,
        "suppression_id": f.suppression.id if f.suppression else None,
    }


def track(row: Row[Any], finding: Finding | None = None, shared: Shared | None = None) -> Track:
    """A history row as a track; ``shared`` (one per read) keeps one copy of each equal value
    read from many rows (scan ids, scopes, scan start times): a track per fingerprint then costs
    its fingerprint and digest, not a dozen new objects."""
    same = shared if shared is not None else Shared()
    return Track(
        fingerprint=row.fingerprint,
        provider=same(row.provider),
        scope=same(row.scope),
        first_seen=same(row.first_seen),
        last_seen=same(row.last_seen),
        first_scan_id=same(row.first_scan_id),
        last_scan_id=same(row.last_scan_id),
        open=row.open,
        data_digest=row.data_digest,
        finding=finding,
        resolved_at=same(row.resolved_at),
        resolved_scan_id=same(row.resolved_scan_id),
        suppression_id=same(row.suppression_id),
    )


class PendingTrack(BaseModel):
    """A track as delivering will save it, and whether the history has a row for it already:
    kept between ``begin`` and ``deliver`` on disk when the scan's findings are (spill), so the
    reports are written with no track per finding in memory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    known: bool
    track: Track


def track_row(t: Track) -> dict[str, Any]:
    return {
        "fingerprint": t.fingerprint,
        "provider": t.provider,
        "scope": t.scope,
        "first_seen": t.first_seen,
        "last_seen": t.last_seen,
        "first_scan_id": t.first_scan_id,
        "last_scan_id": t.last_scan_id,
        "open": t.open,
        "resolved_at": t.resolved_at,
        "resolved_scan_id": t.resolved_scan_id,
        "suppression_id": t.suppression_id,
        "data_digest": t.data_digest,
    }


def summary(r: Row[Any]) -> ScanSummary:
    return ScanSummary(
        id=r.id,
        started=r.started,
        finished=r.finished,
        recorded_at=r.recorded_at,
        profile=r.profile_name,
        complete=r.complete,
        findings=r.finding_count,
        new=r.new_count,
        reopened=r.reopened_count,
        resolved=r.resolved_count,
        suppressed=r.suppressed_count,
        previous_scan_id=r.previous_scan_id,
        delivered=r.delivered,
    )

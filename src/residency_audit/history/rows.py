"""Rows of the history tables to and from the model types (no queries here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.engine import Row

from ..model import Finding, FindingState
from .states import Track

__all__ = [
    "CHUNK",
    "ScanSummary",
    "count_state",
    "finding_row",
    "insert_many",
    "summary",
    "track",
    "track_row",
]

CHUNK = 500  # rows per INSERT and ids per IN (...); SQLite allows 32766 parameters, PG 65535


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


def count_state(findings: Sequence[Finding], state: FindingState) -> int:
    return sum(1 for f in findings if f.state is state)


def insert_many(conn: Connection, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            conn.execute(insert(model), batch)
            batch = []
    if batch:
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


def track(row: Row[Any], finding: Finding | None = None) -> Track:
    return Track(
        fingerprint=row.fingerprint,
        provider=row.provider,
        scope=row.scope,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        first_scan_id=row.first_scan_id,
        last_scan_id=row.last_scan_id,
        open=row.open,
        finding=finding,
        resolved_at=row.resolved_at,
        resolved_scan_id=row.resolved_scan_id,
        suppression_id=row.suppression_id,
    )


def track_row(t: Track, data_digest: str) -> dict[str, Any]:
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
        "data_digest": data_digest,
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

"""The history store: records scans with their inventory and findings, and reads them back.

Recording is two steps so that the history never claims a report showed something it did not:
:meth:`HistoryStore.begin` stores the scan as *not delivered* (its findings annotated against the
last delivered scan), the caller swaps the reports in, then :meth:`HistoryStore.deliver` marks it
delivered and only then advances each finding's history. A run killed in between leaves a scan
that ``--new-only``, ``history diff`` and the next scan's states all ignore.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute

from ..memo import Shared
from ..model import Bucket, Finding, FindingState, Inventory, ScopeResult
from ..results import ScanMeta, ScanResult
from ..spill import builder_like
from . import engine as _engine
from .diff import ScanDiff, diff_findings
from .documents import DocumentBatch, drop_unreferenced, finding_json, load_documents
from .errors import HistoryError, HistoryInputError, ScanNotFoundError
from .models import (
    FindingHistory,
    JsonDocument,
    ScanBucket,
    ScanFinding,
    ScanRow,
    ScanScope,
    ScanSuppression,
    ShardBucket,
    ShardRun,
    as_utc,
)
from .rows import (
    CHUNK,
    PendingTrack,
    ScanSummary,
    chunks,
    finding_row,
    insert_many,
    summary,
    track,
    track_row,
)
from .states import Judge, Track, complete_scopes, may_hide_copy
from .suppressions import Matcher, Suppressions

__all__ = ["HistoryStore", "PendingScan", "ScanSummary"]

_SCANS = ScanRow.__table__
_HISTORY = FindingHistory.__table__
T = TypeVar("T")


def _delivered_back(column: InstrumentedAttribute[T], back: int) -> Select[T]:
    """``column`` of the delivered scan ``back`` places before the newest delivered one."""
    return (
        select(column)
        .where(ScanRow.delivered.is_(True))
        .order_by(ScanRow.seq.desc())
        .offset(back)
        .limit(1)
    )


@dataclass(frozen=True)
class PendingScan:
    """A scan recorded by :meth:`HistoryStore.begin`, waiting for its reports to be delivered.

    It holds no finding beyond the result's own sequence (on disk when the scan's was): a track
    per fingerprint is what delivering needs, even when it must judge the scan again."""

    result: ScanResult  # annotated: what the reports show
    # the finding history this scan moves to once delivered (on disk when the findings are)
    tracks: Sequence[PendingTrack]
    # what lets an absent finding resolve: scopes collected completely, and bucket uids whose
    # unread settings may hide a copy (kept for judging again, so no bucket is read twice)
    complete: frozenset[tuple[str, str]]
    hidden: frozenset[str]


@dataclass
class _Counts:
    """The scan row's counts, taken as the annotated findings go by."""

    new: int = 0
    reopened: int = 0
    suppressed: int = 0

    def add(self, f: Finding) -> None:
        self.new += f.state is FindingState.NEW
        self.reopened += f.state is FindingState.REOPENED
        self.suppressed += f.suppression is not None


class HistoryStore:
    """A scan history in SQLite or PostgreSQL. Open with :meth:`open`; close (or use ``with``)."""

    def __init__(
        self, engine: Engine, url: URL, *, busy_timeout: float = _engine.DEFAULT_BUSY_TIMEOUT
    ) -> None:
        self.engine = engine
        self.busy_timeout = busy_timeout
        self._url = url
        self.url = _engine.safe_url(url)  # for messages: password hidden

    @classmethod
    def open(
        cls,
        url: str,
        *,
        create: bool = True,
        busy_timeout: float = _engine.DEFAULT_BUSY_TIMEOUT,
    ) -> HistoryStore:
        """Connect and bring the schema to the newest revision.

        ``url`` is a file path, ``sqlite:///PATH`` or ``postgresql+psycopg://...``. With
        ``create=False`` a missing SQLite file is an error instead of a new empty history.
        """
        parsed = _engine.normalize_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            path = Path(parsed.database or "")
            if not path.exists():
                if not create:
                    raise HistoryInputError(
                        f"no scan history at {path} (no scan has been recorded there)"
                    )
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise HistoryError(
                        f"cannot create the history at {path}: {exc.strerror}"
                    ) from None
        engine = _engine.make_engine(parsed, busy_timeout=busy_timeout)
        try:
            _engine.upgrade(engine, parsed, busy_timeout=busy_timeout)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, parsed, busy_timeout=busy_timeout)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def record(
        self,
        result: ScanResult,
        *,
        suppressions: Suppressions | None = None,
        now: datetime | None = None,
    ) -> ScanResult:
        """Store ``result`` as delivered, in one transaction; return it annotated with its history.

        For a scan whose reports are still to be written, use :meth:`begin` and :meth:`deliver`.
        ``now`` decides which suppressions have expired (default: the current UTC time); a
        finding's first/last seen are scan start times.
        """
        with self._write(f"recording scan {result.scan.id}") as conn:
            pending = self._begin(conn, result, suppressions, now)
            self._deliver(conn, pending)
        return pending.result

    def begin(
        self,
        result: ScanResult,
        *,
        suppressions: Suppressions | None = None,
        now: datetime | None = None,
    ) -> PendingScan:
        """Store ``result`` as not yet delivered; ``pending.result`` is what its reports show.

        States, first seen and the resolved list are judged against the delivered scans only.
        """
        with self._write(f"recording scan {result.scan.id}") as conn:
            return self._begin(conn, result, suppressions, now)

    def deliver(self, pending: PendingScan) -> None:
        """Mark the scan's reports delivered and advance the finding history to it."""
        with self._write(f"marking scan {pending.result.scan.id} delivered") as conn:
            self._deliver(conn, pending)

    def _begin(
        self,
        conn: Connection,
        result: ScanResult,
        suppressions: Suppressions | None,
        now: datetime | None,
    ) -> PendingScan:
        """Two passes over the findings (their fingerprints, then each annotated and stored as it
        goes) and one over the buckets; nothing holds every finding."""
        now = as_utc(now) if now else datetime.now(UTC)
        scan, inventory = result.scan, result.inventory
        if conn.scalar(select(ScanRow.seq).where(ScanRow.id == scan.id)) is not None:
            raise HistoryError(f"scan {scan.id} is already recorded in {self.url}")
        previous_scan_id = self._last_delivered(conn)
        previous = self._tracks(conn, {f.fingerprint for f in result.findings})
        seq = self._insert_scan(conn, result, now, previous_scan_id)
        documents = DocumentBatch(conn)
        hidden = self._insert_inventory(conn, seq, inventory, documents)
        judge = Judge(
            previous, scan_id=scan.id, seen_at=as_utc(scan.started), not_run=scan.rules_not_run
        )
        matcher = (suppressions or Suppressions()).matcher(now.date())
        findings, counts = self._insert_findings(conn, seq, result, judge, matcher, documents)
        documents.save(conn)
        complete = frozenset(complete_scopes(inventory))
        resolved = self._resolve(conn, judge, complete, hidden)
        self._insert_resolved(conn, seq, judge, resolved)
        self._set_counts(conn, seq, counts, len(resolved), matcher.stale)
        if suppressions is not None:
            self._insert_suppressions(conn, seq, suppressions, matcher.matched, now.date())
        annotated = result.model_copy(
            update={
                "findings": findings,
                "resolved": resolved,
                "previous_scan_id": previous_scan_id,
                "stale_suppressions": matcher.stale,
            }
        )
        pending = builder_like(result.findings, PendingTrack)
        for t in judge.tracks.values():
            pending.add(PendingTrack(known=t.fingerprint in previous, track=t))
        return PendingScan(
            result=annotated,
            tracks=pending.finish(),
            complete=complete,
            hidden=frozenset(hidden),
        )

    def _deliver(self, conn: Connection, pending: PendingScan) -> None:
        scan_id = pending.result.scan.id
        delivered = conn.scalar(select(ScanRow.delivered).where(ScanRow.id == scan_id))
        if delivered is None:
            raise HistoryError(f"scan {scan_id} is not recorded in {self.url} (pruned?)")
        if delivered:
            return
        if self._last_delivered(conn) != pending.result.previous_scan_id:
            self._save_tracks(conn, self._judge_again(conn, pending))
        else:
            self._save_tracks(conn, ((t.track, t.known) for t in pending.tracks))
        conn.execute(
            update(ScanRow)
            .where(ScanRow.id == scan_id)
            .values(delivered=True, delivered_at=datetime.now(UTC))
        )

    def _judge_again(self, conn: Connection, pending: PendingScan) -> list[tuple[Track, bool]]:
        """Another scan was delivered meanwhile: move the history on from where it is now (this
        scan's rows keep the states its reports show). The scan's own open tracks carry all a
        judgement reads of its findings -- fingerprint, scope, exception, document -- so none is
        read again."""
        present = [p.track for p in pending.tracks if p.track.open]
        previous = self._tracks(conn, {t.fingerprint for t in present})
        scan = pending.result.scan
        judge = Judge(
            previous, scan_id=scan.id, seen_at=as_utc(scan.started), not_run=scan.rules_not_run
        )
        for t in present:
            judge.see(t.fingerprint, t.provider, t.scope, t.suppression_id, t.data_digest)
        self._resolve(conn, judge, pending.complete, pending.hidden)
        return [(t, t.fingerprint in previous) for t in judge.tracks.values()]

    def _last_delivered(self, conn: Connection) -> str | None:
        return conn.scalar(_delivered_back(ScanRow.id, 0))

    def _tracks(self, conn: Connection, present: AbstractSet[str]) -> dict[str, Track]:
        """Every open track and the tracks of ``present``, without their last occurrences."""
        shared = Shared()
        open_rows = conn.execute(select(_HISTORY).where(_HISTORY.c.open.is_(True)))
        tracks = {r.fingerprint: track(r, shared=shared) for r in open_rows}
        for chunk in chunks(sorted(present - tracks.keys())):
            for r in conn.execute(select(_HISTORY).where(_HISTORY.c.fingerprint.in_(chunk))):
                tracks[r.fingerprint] = track(r, shared=shared)
        return tracks

    def _resolve(
        self,
        conn: Connection,
        judge: Judge,
        complete: AbstractSet[tuple[str, str]],
        hidden: AbstractSet[str],
    ) -> tuple[Finding, ...]:
        """The findings this scan resolves. Only the last occurrences of the open tracks it may
        resolve are read, a chunk at a time."""
        resolved: list[Finding] = []
        for batch in chunks(judge.may_resolve(complete)):
            last = load_documents(conn, (t.data_digest for t in batch))
            for t in batch:
                gone = judge.resolve(t, Finding.model_validate(last[t.data_digest]), hidden)
                if gone is not None:
                    resolved.append(gone)
        return tuple(resolved)

    def _insert_scan(
        self, conn: Connection, result: ScanResult, now: datetime, previous_scan_id: str | None
    ) -> int:
        """The scan's row; its state counts are set once its findings have gone by."""
        scan, inv = result.scan, result.inventory
        inventory_meta = inv.model_dump(mode="json", by_alias=True, exclude={"scopes", "buckets"})
        seq = conn.scalar(
            insert(ScanRow)
            .values(
                id=scan.id,
                started=scan.started,
                finished=scan.finished,
                recorded_at=now,
                tool_version=scan.tool_version,
                profile_name=scan.profile.name,
                profile_sha256=scan.profile.sha256,
                complete=scan.coverage.complete,
                finding_count=len(result.findings),
                meta=scan.model_dump(mode="json"),
                inventory_meta=inventory_meta,
                previous_scan_id=previous_scan_id,
                new_count=0,
                reopened_count=0,
                resolved_count=0,
                suppressed_count=0,
                stale_suppressions=[],
                delivered=False,
            )
            .returning(ScanRow.seq)
        )
        assert seq is not None
        return int(seq)

    def _insert_inventory(
        self, conn: Connection, seq: int, inventory: Inventory, documents: DocumentBatch
    ) -> set[str]:
        """Insert the scan's scopes and buckets; return the uids of the buckets whose unread
        settings may hide a copy (taken in the same pass)."""
        scopes = [
            {
                "scan_seq": seq,
                "provider": s.provider,
                "scope": s.scope,
                "status": s.status.value,
                "data": s.model_dump(mode="json"),
            }
            for s in inventory.scopes
        ]
        insert_many(conn, ScanScope, scopes)
        hidden: set[str] = set()

        def rows() -> Iterator[dict[str, Any]]:
            for b in inventory.buckets:
                if may_hide_copy(b):
                    hidden.add(b.uid)
                yield {
                    "scan_seq": seq,
                    "provider": b.provider,
                    "scope": b.scope,
                    "uid": b.uid,
                    "name": b.name,
                    "data_digest": documents.add(b.model_dump_json()),
                }

        insert_many(conn, ScanBucket, rows())
        return hidden

    def _insert_findings(
        self,
        conn: Connection,
        seq: int,
        result: ScanResult,
        judge: Judge,
        matcher: Matcher,
        documents: DocumentBatch,
    ) -> tuple[Sequence[Finding], _Counts]:
        """One pass: each finding judged, annotated, stored and added to the annotated sequence
        (on disk when the scan's findings are), then dropped."""
        annotated = builder_like(result.findings, Finding)
        counts = _Counts()

        def rows() -> Iterator[dict[str, Any]]:
            for finding in result.findings:
                digest = documents.add(finding_json(finding))
                done = judge.annotate(finding, matcher(finding), digest)
                annotated.add(done)
                counts.add(done)
                yield finding_row(seq, done, resolved=False, data_digest=digest)

        insert_many(conn, ScanFinding, rows())
        return annotated.finish(), counts

    def _insert_resolved(
        self, conn: Connection, seq: int, judge: Judge, resolved: Sequence[Finding]
    ) -> None:
        """A resolved finding's row names the document its history row already stores."""
        rows = (
            finding_row(seq, f, resolved=True, data_digest=judge.tracks[f.fingerprint].data_digest)
            for f in resolved
        )
        insert_many(conn, ScanFinding, rows)

    def _set_counts(
        self, conn: Connection, seq: int, counts: _Counts, resolved: int, stale: Sequence[str]
    ) -> None:
        conn.execute(
            update(ScanRow)
            .where(ScanRow.seq == seq)
            .values(
                new_count=counts.new,
                reopened_count=counts.reopened,
                resolved_count=resolved,
                suppressed_count=counts.suppressed,
                stale_suppressions=list(stale),
            )
        )

    def _insert_suppressions(
        self, conn: Connection, seq: int, sups: Suppressions, matched: dict[str, int], today: date
    ) -> None:
        rows = (
            {
                "scan_seq": seq,
                "suppression_id": s.id,
                "reason": s.reason,
                "approved_by": s.approved_by,
                "expires": s.expires,
                "expired": s.expired(today),
                "matched": matched.get(s.id, 0),
            }
            for s in sups.items
        )
        insert_many(conn, ScanSuppression, rows)

    def _save_tracks(self, conn: Connection, tracks: Iterable[tuple[Track, bool]]) -> None:
        """Insert the new tracks and update the known ones (``True`` beside them), a chunk at a
        time in one pass: the tracks may come from disk."""
        for batch in chunks(tracks):
            new = [track_row(t) for t, known in batch if not known]
            if new:
                conn.execute(insert(FindingHistory), new)
            changed = [track_row(t) for t, known in batch if known]
            if not changed:
                continue
            # one executemany a chunk instead of a statement per fingerprint
            columns = [k for k in changed[0] if k != "fingerprint"]
            statement = (
                update(FindingHistory)
                .where(FindingHistory.fingerprint == bindparam("b_fingerprint"))
                .values({k: bindparam(f"b_{k}") for k in columns})
            )
            conn.execute(statement, [{f"b_{k}": v for k, v in r.items()} for r in changed])

    # -- reading -------------------------------------------------------------------------------

    def list_scans(self, limit: int | None = None) -> list[ScanSummary]:
        """Recorded scans, newest first."""
        with self._read() as conn:
            query = select(_SCANS).order_by(_SCANS.c.seq.desc())
            if limit is not None:
                query = query.limit(limit)
            return [summary(r) for r in conn.execute(query)]

    def resolve_id(self, ref: str) -> str:
        """A scan id from an exact id, a unique prefix, ``latest`` or ``latest~N``."""
        with self._read() as conn:
            if ref == "latest" or ref.startswith("latest~"):
                back = ref.partition("~")[2]
                if back and not back.isdigit():
                    raise ScanNotFoundError(f"bad scan reference {ref!r} (use latest~N)")
                found = conn.scalar(_delivered_back(ScanRow.id, int(back or 0)))
                if found is None:
                    raise ScanNotFoundError(f"no scan {ref} in {self.url}")
                return found
            if conn.scalar(select(ScanRow.id).where(ScanRow.id == ref)) is not None:
                return ref
            escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            ids = list(
                conn.scalars(
                    select(ScanRow.id).where(ScanRow.id.like(f"{escaped}%", escape="\\")).limit(2)
                )
            )
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise ScanNotFoundError(f"scan reference {ref!r} is ambiguous in {self.url}")
        raise ScanNotFoundError(f"no scan {ref!r} in {self.url}")

    def earlier_scan(self, scan_id: str) -> str | None:
        """The delivered scan before ``scan_id`` that is still kept (None if none)."""
        scan_id = self.resolve_id(scan_id)
        with self._read() as conn:
            seq = select(_SCANS.c.seq).where(_SCANS.c.id == scan_id).scalar_subquery()
            return conn.scalar(
                select(_SCANS.c.id)
                .where(_SCANS.c.seq < seq, _SCANS.c.delivered.is_(True))
                .order_by(_SCANS.c.seq.desc())
                .limit(1)
            )

    def get_scan(self, scan_id: str) -> ScanResult:
        """The scan as recorded: annotated findings, resolved findings and its inventory."""
        scan_id = self.resolve_id(scan_id)
        with self._read() as conn:
            row = conn.execute(select(_SCANS).where(_SCANS.c.id == scan_id)).one()
            scopes = conn.scalars(select(ScanScope.data).where(ScanScope.scan_seq == row.seq))
            buckets = conn.scalars(
                select(JsonDocument.data)
                .join(ScanBucket, ScanBucket.data_digest == JsonDocument.digest)
                .where(ScanBucket.scan_seq == row.seq)
                .order_by(ScanBucket.row_id)
            )
            inventory = Inventory.model_validate(
                {
                    **row.inventory_meta,
                    "scopes": [ScopeResult.model_validate(s) for s in scopes],
                    "buckets": [Bucket.model_validate(b) for b in buckets],
                }
            )
            findings: list[Finding] = []
            resolved: list[Finding] = []
            for r in conn.execute(
                select(
                    JsonDocument.data,
                    ScanFinding.resolved,
                    ScanFinding.state,
                    ScanFinding.first_seen,
                    ScanFinding.last_seen,
                    ScanFinding.suppression,
                )
                .join(ScanFinding, ScanFinding.data_digest == JsonDocument.digest)
                .where(ScanFinding.scan_seq == row.seq)
                .order_by(ScanFinding.row_id)
            ):
                finding = Finding.model_validate(
                    {
                        **r.data,
                        "state": r.state,
                        "first_seen": r.first_seen,
                        "last_seen": r.last_seen,
                        "suppression": r.suppression,
                    }
                )
                (resolved if r.resolved else findings).append(finding)
        return ScanResult(
            scan=ScanMeta.model_validate(row.meta),
            findings=tuple(findings),
            resolved=tuple(resolved),
            previous_scan_id=row.previous_scan_id,
            stale_suppressions=tuple(row.stale_suppressions),
            inventory=inventory,
        )

    def diff(self, a: str, b: str) -> ScanDiff:
        """What changed from scan ``a`` to scan ``b`` (either may be older), by fingerprint."""
        return diff_findings(self.get_scan(a), self.get_scan(b))

    def finding_history(self, fingerprint: str) -> Track | None:
        """One fingerprint's history, with its last occurrence."""
        with self._read() as conn:
            row = conn.execute(
                select(_HISTORY).where(_HISTORY.c.fingerprint == fingerprint)
            ).first()
            if row is None:
                return None
            last = load_documents(conn, {row.data_digest})[row.data_digest]
            return track(row, Finding.model_validate(last))

    # -- pruning -------------------------------------------------------------------------------

    def prune(
        self,
        *,
        keep: int | None = None,
        older_than: timedelta | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Delete old scans (the per-fingerprint first/last seen survive); returns their ids.

        ``keep`` counts delivered scans: the newest ``keep`` of them stay, with every scan after
        the oldest of those, so runs that were killed never push out the last delivered scan.
        """
        if (keep is None) == (older_than is None):
            raise HistoryInputError("prune needs exactly one of keep or older_than")
        if keep is not None and keep < 1:
            raise HistoryInputError("prune --keep must be at least 1")
        now = as_utc(now) if now else datetime.now(UTC)
        with self._write("pruning the history") as conn:
            query = select(ScanRow.seq, ScanRow.id).order_by(ScanRow.seq.desc())
            if keep is not None:
                oldest_kept = conn.scalar(_delivered_back(ScanRow.seq, keep - 1))
                doomed = (
                    []
                    if oldest_kept is None
                    else conn.execute(query.where(ScanRow.seq < oldest_kept)).all()
                )
            else:
                assert older_than is not None
                doomed = conn.execute(query.where(ScanRow.started < now - older_than)).all()
            seqs = [seq for seq, _ in doomed]
            for i in range(0, len(seqs), CHUNK):
                chunk = seqs[i : i + CHUNK]
                # explicit child deletes: SQLite foreign keys may be off on other connections
                for model in (ScanFinding, ScanBucket, ScanScope, ScanSuppression):
                    conn.execute(delete(model).where(model.scan_seq.in_(chunk)))
                conn.execute(delete(ScanRow).where(ScanRow.seq.in_(chunk)))
            # shards (revision 0005) started before the oldest scan kept: assembled long ago,
            # or a group that never completed
            if older_than is not None:
                cutoff: datetime | None = now - older_than
            else:
                cutoff = conn.scalar(select(ScanRow.started).where(ScanRow.seq == oldest_kept))
            runs = (
                conn.execute(
                    select(ShardRun.group_id, ShardRun.shard_index).where(ShardRun.started < cutoff)
                ).all()
                if cutoff is not None
                else []
            )
            for group, index in runs:
                for table in (ShardBucket, ShardRun):
                    conn.execute(
                        delete(table).where(table.group_id == group, table.shard_index == index)
                    )
            if seqs or runs:
                drop_unreferenced(conn)
        return [scan_id for _, scan_id in doomed]

    def _write(self, what: str) -> AbstractContextManager[Connection]:
        return _engine.write_transaction(
            self.engine, what, self._url, busy_timeout=self.busy_timeout
        )

    def _read(self) -> _ReadConnection:
        return _ReadConnection(self)

    def scan_count(self) -> int:
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(ScanRow)) or 0)


class _ReadConnection:
    """A read transaction whose database errors become HistoryError (password never shown)."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self._conn = self._store.engine.connect()
        except SQLAlchemyError as exc:
            raise HistoryError(
                f"cannot read {self._store.url}: {_engine.first_line(exc)}"
            ) from None
        return self._conn

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        self._conn.close()
        if isinstance(e, SQLAlchemyError):
            raise HistoryError(f"reading {self._store.url}: {_engine.first_line(e)}") from None

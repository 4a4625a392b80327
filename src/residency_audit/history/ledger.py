"""The ticket ledger (revision 0003): which tracker ticket stands for which flagged bucket.

One row per (tracker, bucket key). The sync writes a row *before* each tracker call (``pending``
names the call in flight) and again after it, so a sync killed between the two leaves a trace the
next run resolves by asking the tracker instead of acting twice.

A ticket a person closed as "won't fix" stays here in state ``wontfix``; :meth:`TicketLedger.
suppressions` turns those rows into accepted exceptions for the next scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..model import SuppressionRef
from .models import Base, UTCDateTime
from .store import HistoryStore
from .suppressions import Suppression, Suppressions

__all__ = ["LedgerEntry", "LedgerState", "TicketLedger", "TicketLedgerRow"]

NEVER_EXPIRES = date(9999, 12, 31)


class LedgerState:
    PENDING = "pending"  # no ticket known yet (a create may be in flight)
    OPEN = "open"
    CLOSED = "closed"  # closed because the bucket was fixed
    WONTFIX = "wontfix"  # a person closed it as "won't fix": a suppression, never reopened


class TicketLedgerRow(Base):
    __tablename__ = "ticket_ledger"
    __table_args__ = (Index("ix_ticket_ledger_state", "state"),)

    sink: Mapped[str] = mapped_column(String(50), primary_key=True)
    bucket_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(300))
    bucket_uid: Mapped[str] = mapped_column(Text)
    bucket_name: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    pending: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ticket_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ticket_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pending_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    findings: Mapped[list[Any]] = mapped_column(JSON)  # [{fingerprint, severity, rule_id}]
    previous: Mapped[list[Any]] = mapped_column(JSON)  # earlier tickets [{id, ref, url}]
    wontfix: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_scan_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


_COLUMNS = [c.name for c in TicketLedgerRow.__table__.columns]


@dataclass(frozen=True)
class LedgerEntry:
    sink: str
    bucket_key: str
    provider: str
    scope: str
    bucket_uid: str
    bucket_name: str
    state: str = LedgerState.PENDING
    pending: str | None = None
    ticket_id: str | None = None
    ticket_ref: str | None = None
    ticket_url: str | None = None
    digest: str | None = None
    pending_digest: str | None = None
    findings: tuple[dict[str, Any], ...] = ()
    previous: tuple[dict[str, Any], ...] = ()
    wontfix: dict[str, Any] | None = None
    last_scan_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def but(self, **changes: Any) -> LedgerEntry:
        return replace(self, **changes, updated_at=datetime.now(UTC))

    def suppression_ref(self) -> SuppressionRef:
        info = self.wontfix or {}
        ref = info.get("ticket") or self.ticket_ref or self.ticket_id or self.bucket_key
        return SuppressionRef(
            id=f"ticket:{self.sink}:{ref}",
            reason=str(info.get("reason") or "closed as won't fix in the tracker"),
            approved_by=str(info.get("by") or f"{self.sink} tracker"),
            expires=NEVER_EXPIRES,
        )


class TicketLedger:
    """Ledger rows in a history store. Every :meth:`save` is its own committed transaction."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    def entries(self, sink: str | None = None) -> dict[str, LedgerEntry]:
        """Rows by bucket key (for one tracker), or by ``sink/key`` when ``sink`` is None."""
        query = select(TicketLedgerRow.__table__)
        if sink is not None:
            query = query.where(TicketLedgerRow.sink == sink)
        with self.store._read() as conn:
            rows = conn.execute(query).mappings().all()
        out: dict[str, LedgerEntry] = {}
        for row in rows:
            values = dict(row)
            values["findings"] = tuple(values["findings"] or ())
            values["previous"] = tuple(values["previous"] or ())
            entry = LedgerEntry(**values)
            out[entry.bucket_key if sink is not None else f"{entry.sink}/{entry.bucket_key}"] = (
                entry
            )
        return out

    def save(self, entry: LedgerEntry) -> None:
        values = {name: getattr(entry, name) for name in _COLUMNS}
        values["findings"] = list(entry.findings)
        values["previous"] = list(entry.previous)
        row = TicketLedgerRow
        where = (row.sink == entry.sink) & (row.bucket_key == entry.bucket_key)
        with self.store._write(f"recording ticket for {entry.bucket_name}") as conn:
            if conn.execute(select(row.sink).where(where)).first() is None:
                conn.execute(insert(row).values(**values))
            else:
                conn.execute(update(row).where(where).values(**values))

    def suppressions(self) -> Suppressions:
        """Findings listed on tickets a person closed as won't fix, as accepted exceptions (merge
        them with the suppressions file before recording the next scan)."""
        items: dict[str, Suppression] = {}
        for e in self.entries().values():
            if not e.wontfix:
                continue
            ref = e.suppression_ref()
            for fp in e.wontfix.get("fingerprints", []):
                items.setdefault(
                    f"{ref.id}:{str(fp)[:12]}",
                    Suppression(
                        id=f"{ref.id}:{str(fp)[:12]}",
                        reason=ref.reason,
                        approved_by=ref.approved_by,
                        expires=ref.expires,
                        fingerprint=str(fp),
                    ),
                )
        return Suppressions(
            items=tuple(items.values()), source=f"ticket ledger in {self.store.url}"
        )

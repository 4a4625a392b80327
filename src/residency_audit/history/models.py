"""SQLAlchemy 2 models of the history database at the newest schema revision.

The Alembic revisions in ``migrations/versions`` are the source of truth for what a database looks
like; these classes describe the head revision and a test checks the two agree. Findings, buckets
and scan metadata are stored as the model's own JSON (pydantic) next to the few columns we query
by, so adding a field to the model needs no migration. Bucket and finding JSON is stored once per
distinct content in ``json_documents`` (revision 0004) and referenced by digest.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..localtime import as_utc

__all__ = [
    "Base",
    "FindingHistory",
    "JsonDocument",
    "ScanBucket",
    "ScanFinding",
    "ScanRow",
    "ScanScope",
    "ScanSuppression",
    "ShardBucket",
    "ShardRun",
    "UTCDateTime",
    "as_utc",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns aware UTC datetimes (SQLite keeps no zone, PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # a naive value bound to timestamptz is read in the session's zone: keep it aware there
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    pass


class ScanRow(Base):
    """One recorded scan. ``seq`` orders scans by recording; ``id`` is the scan's own id."""

    __tablename__ = "scans"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    started: Mapped[datetime] = mapped_column(UTCDateTime())
    finished: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tool_version: Mapped[str] = mapped_column(String(50))
    profile_name: Mapped[str] = mapped_column(String(200))
    profile_sha256: Mapped[str] = mapped_column(String(64))
    complete: Mapped[bool] = mapped_column(Boolean)
    finding_count: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)  # ScanMeta as JSON
    inventory_meta: Mapped[dict[str, Any]] = mapped_column(JSON)  # Inventory minus scopes/buckets
    # revision 0002
    previous_scan_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    new_count: Mapped[int] = mapped_column(Integer, server_default="0")
    reopened_count: Mapped[int] = mapped_column(Integer, server_default="0")
    resolved_count: Mapped[int] = mapped_column(Integer, server_default="0")
    suppressed_count: Mapped[int] = mapped_column(Integer, server_default="0")
    stale_suppressions: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    # revision 0004: the scan's reports were swapped in (a run killed before that leaves False)
    delivered: Mapped[bool] = mapped_column(Boolean, server_default="1")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JsonDocument(Base):
    """Revision 0004: one bucket or finding JSON, stored once, keyed by its canonical SHA-256."""

    __tablename__ = "json_documents"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScanScope(Base):
    __tablename__ = "scan_scopes"

    scan_seq: Mapped[int] = mapped_column(
        ForeignKey("scans.seq", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # ScopeResult as JSON


class ScanBucket(Base):
    __tablename__ = "scan_buckets"
    __table_args__ = (Index("ix_scan_buckets_scan_seq", "scan_seq"),)

    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_seq: Mapped[int] = mapped_column(ForeignKey("scans.seq", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(300))
    uid: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    data_digest: Mapped[str] = mapped_column(String(64))  # Bucket JSON in json_documents


class ScanFinding(Base):
    """A finding of one scan; ``resolved`` rows are the scan's ``ScanResult.resolved``."""

    __tablename__ = "scan_findings"
    __table_args__ = (
        Index("ix_scan_findings_scan_seq", "scan_seq"),
        Index("ix_scan_findings_fingerprint", "fingerprint"),
    )

    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_seq: Mapped[int] = mapped_column(ForeignKey("scans.seq", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(128))
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(300))
    # revision 0004: the Finding JSON without the annotations below, in json_documents
    data_digest: Mapped[str] = mapped_column(String(64))
    suppression: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # revision 0002
    resolved: Mapped[bool] = mapped_column(Boolean, server_default="0")
    state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suppression_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class FindingHistory(Base):
    """Revision 0002: one row per fingerprint ever seen -- survives pruning of the scans."""

    __tablename__ = "finding_history"

    fingerprint: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(300))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    first_scan_id: Mapped[str] = mapped_column(String(200))
    last_scan_id: Mapped[str] = mapped_column(String(200))
    open: Mapped[bool] = mapped_column(Boolean, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_scan_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    suppression_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # revision 0004: the last occurrence (annotations stripped), in json_documents
    data_digest: Mapped[str] = mapped_column(String(64))


class ScanSuppression(Base):
    """Revision 0002: the exceptions in force for a scan -- who accepted what, until when."""

    __tablename__ = "scan_suppressions"

    scan_seq: Mapped[int] = mapped_column(
        ForeignKey("scans.seq", ondelete="CASCADE"), primary_key=True
    )
    suppression_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(300))
    expires: Mapped[date] = mapped_column(Date)
    expired: Mapped[bool] = mapped_column(Boolean)
    matched: Mapped[int] = mapped_column(Integer)


class ShardRun(Base):
    """Revision 0005: one shard of a sharded scan (``scan --shard I/N --scan-group ID``).

    Written when the shard starts (``finished`` NULL) and completed in one transaction with its
    buckets when it ends: a shard killed mid-scan leaves an unfinished row, never a part. A retry
    of the same index replaces it. ``scopes`` holds each reported ScopeResult with how the shard
    took part (whole / split / unknown); ``seen`` the scopes it listed.
    """

    __tablename__ = "shard_runs"

    group_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    shard_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard_count: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(UTCDateTime())
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tool_version: Mapped[str] = mapped_column(String(50))
    providers: Mapped[list[Any]] = mapped_column(JSON)
    seen: Mapped[list[Any]] = mapped_column(JSON)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    bucket_count: Mapped[int] = mapped_column(Integer)


class ShardBucket(Base):
    """Revision 0005: a bucket one shard collected (its JSON in json_documents)."""

    __tablename__ = "shard_buckets"
    __table_args__ = (Index("ix_shard_buckets_run", "group_id", "shard_index"),)

    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(200))
    shard_index: Mapped[int] = mapped_column(Integer)
    data_digest: Mapped[str] = mapped_column(String(64))

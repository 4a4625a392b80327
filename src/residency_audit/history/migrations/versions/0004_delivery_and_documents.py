"""Reports-delivered mark per scan; bucket and finding JSON stored once, by content.

* ``scans.delivered`` is true once the scan's reports were swapped in; ``--new-only`` and the
  history diffs compare against the last delivered scan. Scans recorded before this revision were
  recorded by a flow that wrote reports right after, so they count as delivered.
* ``json_documents`` holds each distinct bucket or finding JSON once, keyed by the SHA-256 of its
  canonical form. ``scan_buckets`` and ``scan_findings`` keep a ``data_digest`` reference instead
  of their own copy, so an unchanged bucket costs one reference per scan. A finding's per-scan
  annotations (state, first/last seen, suppression) live in the row's own columns. No foreign key:
  pruning deletes the scans' rows first, then every document nothing refers to any more.
  ``finding_history`` refers to each fingerprint's last occurrence the same way.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from residency_audit.history.models import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

_BATCH = 500
_WITH_DOCUMENTS = ("scan_buckets", "scan_findings", "finding_history")
_ANNOTATIONS = ("state", "first_seen", "last_seen", "suppression")


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("delivered", sa.Boolean(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
    op.execute(_scans.update().values(delivered_at=_scans.c.recorded_at))
    op.create_table(
        "json_documents",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    for name in _WITH_DOCUMENTS:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("data_digest", sa.String(64), nullable=True))
    with op.batch_alter_table("scan_findings") as batch:
        batch.add_column(sa.Column("suppression", sa.JSON(), nullable=True))
    conn = op.get_bind()
    _move_to_documents(conn, _buckets, strip=False)
    _move_to_documents(conn, _findings, strip=True)
    _move_to_documents(conn, _history, strip=True)
    for name in _WITH_DOCUMENTS:
        with op.batch_alter_table(name) as batch:
            batch.alter_column("data_digest", existing_type=sa.String(64), nullable=False)
            batch.drop_column("data")


def downgrade() -> None:
    for name in _WITH_DOCUMENTS:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("data", sa.JSON(), nullable=True))
    conn = op.get_bind()
    _restore_copies(conn, _buckets, annotate=False)
    _restore_copies(conn, _findings, annotate=True)
    _restore_copies(conn, _history, annotate=False)
    for name in _WITH_DOCUMENTS:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("data_digest")
            batch.alter_column("data", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("scan_findings") as batch:
        batch.drop_column("suppression")
    op.drop_table("json_documents")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("delivered_at")
        batch.drop_column("delivered")


# Frozen copies of what this revision reads and writes (never the live models' logic).
_scans = sa.table(
    "scans", sa.column("recorded_at", UTCDateTime()), sa.column("delivered_at", UTCDateTime())
)
_documents = sa.table(
    "json_documents", sa.column("digest", sa.String()), sa.column("data", sa.JSON())
)


def _with_documents(
    name: str, key: sa.ColumnClause[Any], *columns: sa.ColumnClause[Any]
) -> sa.TableClause:
    """A table whose rows keep their JSON in ``data`` (0003) or by ``data_digest`` (0004)."""
    return sa.table(
        name, key, sa.column("data", sa.JSON()), sa.column("data_digest", sa.String()), *columns
    )


_buckets = _with_documents("scan_buckets", sa.column("row_id", sa.Integer()))
_history = _with_documents("finding_history", sa.column("fingerprint", sa.String()))
_findings = _with_documents(
    "scan_findings",
    sa.column("row_id", sa.Integer()),
    sa.column("suppression", sa.JSON()),
    sa.column("state", sa.String()),
    sa.column("first_seen", UTCDateTime()),
    sa.column("last_seen", UTCDateTime()),
)


def _digest(data: Any) -> str:
    # compact, keys in stored order: for rows the same model version wrote, the text pydantic's
    # model_dump_json gives, so the next scan refers to these documents instead of adding copies
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(table: Any) -> Any:
    return table.c.fingerprint if table.name == "finding_history" else table.c.row_id


def _pages(conn: sa.Connection, query: Any, key: Any) -> Iterator[list[Any]]:
    """Rows in key order, a page at a time (a history may hold millions)."""
    last: Any = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = list(conn.execute(page.order_by(key).limit(_BATCH)))
        if not rows:
            return
        last = rows[-1].key
        yield rows


def _move_to_documents(conn: sa.Connection, table: Any, *, strip: bool) -> None:
    """Each row's ``data`` becomes a document (annotations stripped) and a ``data_digest``."""
    key = _key(table)
    keeps_suppression = table.name == "scan_findings"
    known: set[str] = set(conn.scalars(sa.select(_documents.c.digest)))
    for rows in _pages(conn, sa.select(key.label("key"), table.c.data), key):
        new_docs: dict[str, Any] = {}
        updates: list[dict[str, Any]] = []
        for row in rows:
            data = dict(row.data)
            suppression = data.get("suppression")
            if strip:
                for name in _ANNOTATIONS:
                    data.pop(name, None)
            digest = _digest(data)
            if digest not in known:
                new_docs[digest] = data
                known.add(digest)
            updates.append({"k": row.key, "dg": digest, "sup": suppression})
        values: dict[str, Any] = {"data_digest": sa.bindparam("dg")}
        if keeps_suppression:
            values["suppression"] = sa.bindparam("sup")
        conn.execute(table.update().where(key == sa.bindparam("k")).values(values), updates)
        if new_docs:
            conn.execute(
                _documents.insert(), [{"digest": d, "data": v} for d, v in new_docs.items()]
            )


def _restore_copies(conn: sa.Connection, table: Any, *, annotate: bool) -> None:
    """The reverse: each row gets its own ``data`` back (annotations from its columns)."""
    key = _key(table)
    extra = (
        (table.c.state, table.c.first_seen, table.c.last_seen, table.c.suppression)
        if annotate
        else ()
    )
    query = sa.select(key.label("key"), _documents.c.data, *extra).join(
        _documents, _documents.c.digest == table.c.data_digest
    )
    for rows in _pages(conn, query, key):
        updates = []
        for row in rows:
            data = dict(row.data)
            if annotate:
                data["state"] = row.state
                data["first_seen"] = row.first_seen.isoformat() if row.first_seen else None
                data["last_seen"] = row.last_seen.isoformat() if row.last_seen else None
                data["suppression"] = row.suppression
            updates.append({"k": row.key, "doc": data})
        update = table.update().where(key == sa.bindparam("k"))
        conn.execute(update.values(data=sa.bindparam("doc")), updates)

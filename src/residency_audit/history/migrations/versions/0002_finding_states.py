"""Finding states across scans: new / persisting / resolved / reopened, and suppressions.

Adds the state columns to findings, a per-fingerprint history that survives pruning, the
exceptions in force for each scan, and per-scan change counts. Existing scans are replayed in
recording order so a history written by the first schema gets the same states a fresh one would
(no suppressions existed then, so none are inferred).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from residency_audit.history.models import UTCDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("previous_scan_id", sa.String(200), nullable=True))
        for name in ("new_count", "reopened_count", "resolved_count", "suppressed_count"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("stale_suppressions", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("scan_findings") as batch:
        batch.add_column(sa.Column("resolved", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("state", sa.String(20), nullable=True))
        batch.add_column(sa.Column("first_seen", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_seen", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("suppression_id", sa.String(200), nullable=True))
    op.create_table(
        "finding_history",
        sa.Column("fingerprint", sa.String(128), primary_key=True),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("first_scan_id", sa.String(200), nullable=False),
        sa.Column("last_scan_id", sa.String(200), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_scan_id", sa.String(200), nullable=True),
        sa.Column("suppression_id", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_finding_history_open", "finding_history", ["open"])
    op.create_table(
        "scan_suppressions",
        sa.Column(
            "scan_seq",
            sa.Integer(),
            sa.ForeignKey("scans.seq", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("suppression_id", sa.String(200), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(300), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
    )
    _replay(op.get_bind())


def downgrade() -> None:
    # resolved rows are not findings of their scan in the first schema
    op.execute(_findings.delete().where(_findings.c.resolved.is_(True)))
    op.drop_table("scan_suppressions")
    op.drop_index("ix_finding_history_open", "finding_history")
    op.drop_table("finding_history")
    with op.batch_alter_table("scan_findings") as batch:
        for name in ("suppression_id", "last_seen", "first_seen", "state", "resolved"):
            batch.drop_column(name)
    with op.batch_alter_table("scans") as batch:
        for name in (
            "stale_suppressions",
            "suppressed_count",
            "resolved_count",
            "reopened_count",
            "new_count",
            "previous_scan_id",
        ):
            batch.drop_column(name)


# Frozen copies of the tables as this revision sees them (never import the live models' logic).
_scans = sa.table(
    "scans",
    sa.column("seq", sa.Integer()),
    sa.column("id", sa.String()),
    sa.column("started", UTCDateTime()),
    sa.column("previous_scan_id", sa.String()),
    sa.column("new_count", sa.Integer()),
    sa.column("reopened_count", sa.Integer()),
    sa.column("resolved_count", sa.Integer()),
)
_scopes = sa.table(
    "scan_scopes",
    sa.column("scan_seq", sa.Integer()),
    sa.column("provider", sa.String()),
    sa.column("scope", sa.String()),
    sa.column("status", sa.String()),
)
_findings = sa.table(
    "scan_findings",
    sa.column("row_id", sa.Integer()),
    sa.column("scan_seq", sa.Integer()),
    sa.column("fingerprint", sa.String()),
    sa.column("rule_id", sa.String()),
    sa.column("severity", sa.String()),
    sa.column("provider", sa.String()),
    sa.column("scope", sa.String()),
    sa.column("data", sa.JSON()),
    sa.column("resolved", sa.Boolean()),
    sa.column("state", sa.String()),
    sa.column("first_seen", UTCDateTime()),
    sa.column("last_seen", UTCDateTime()),
)
_history = sa.table(
    "finding_history",
    *(
        sa.column(name, type_)
        for name, type_ in (
            ("fingerprint", sa.String()),
            ("provider", sa.String()),
            ("scope", sa.String()),
            ("first_seen", UTCDateTime()),
            ("last_seen", UTCDateTime()),
            ("first_scan_id", sa.String()),
            ("last_scan_id", sa.String()),
            ("open", sa.Boolean()),
            ("resolved_at", UTCDateTime()),
            ("resolved_scan_id", sa.String()),
            ("suppression_id", sa.String()),
            ("data", sa.JSON()),
        )
    ),
)


def _with_state(
    data: dict[str, Any], state: str, first: datetime, last: datetime
) -> dict[str, Any]:
    return {**data, "state": state, "first_seen": first.isoformat(), "last_seen": last.isoformat()}


def _replay(conn: sa.Connection) -> None:
    """Give every stored finding its state, as if each scan had been recorded by this revision."""
    track: dict[str, dict[str, Any]] = {}
    previous: str | None = None
    scans = conn.execute(sa.select(_scans.c.seq, _scans.c.id, _scans.c.started).order_by("seq"))
    for seq, scan_id, started in scans.all():
        complete = {
            (p, s)
            for p, s, status in conn.execute(
                sa.select(_scopes.c.provider, _scopes.c.scope, _scopes.c.status).where(
                    _scopes.c.scan_seq == seq
                )
            )
            if status == "complete"
        }
        rows = conn.execute(
            sa.select(
                _findings.c.row_id,
                _findings.c.fingerprint,
                _findings.c.provider,
                _findings.c.scope,
                _findings.c.data,
            ).where(_findings.c.scan_seq == seq)
        ).all()
        present: set[str] = set()
        counts = {"new": 0, "reopened": 0, "resolved": 0}
        updates: list[dict[str, Any]] = []
        for row_id, fp, provider, scope, data in rows:
            t = track.get(fp)
            if t is None:
                state = "new"
                t = track[fp] = {
                    "fingerprint": fp,
                    "provider": provider,
                    "scope": scope,
                    "first_seen": started,
                    "first_scan_id": scan_id,
                    "suppression_id": None,
                }
            else:
                state = "persisting" if t["open"] or fp in present else "reopened"
            if fp not in present and state != "persisting":
                counts[state] += 1
            t.update(
                open=True,
                last_seen=started,
                last_scan_id=scan_id,
                resolved_at=None,
                resolved_scan_id=None,
                data=data,
            )
            present.add(fp)
            updates.append(
                {
                    "b_row_id": row_id,
                    "b_state": state,
                    "b_first": t["first_seen"],
                    "b_last": started,
                    "b_data": _with_state(data, state, t["first_seen"], started),
                }
            )
        resolved_rows: list[dict[str, Any]] = []
        for fp, t in track.items():
            if t["open"] and fp not in present and (t["provider"], t["scope"]) in complete:
                t.update(open=False, resolved_at=started, resolved_scan_id=scan_id)
                counts["resolved"] += 1
                resolved_rows.append(
                    {
                        "scan_seq": seq,
                        "fingerprint": fp,
                        "provider": t["provider"],
                        "scope": t["scope"],
                        "rule_id": t["data"].get("rule_id", ""),
                        "severity": t["data"].get("severity", ""),
                        "data": _with_state(t["data"], "resolved", t["first_seen"], t["last_seen"]),
                        "resolved": True,
                        "state": "resolved",
                        "first_seen": t["first_seen"],
                        "last_seen": t["last_seen"],
                    }
                )
        if updates:
            conn.execute(
                _findings.update()
                .where(_findings.c.row_id == sa.bindparam("b_row_id"))
                .values(
                    state=sa.bindparam("b_state"),
                    first_seen=sa.bindparam("b_first"),
                    last_seen=sa.bindparam("b_last"),
                    data=sa.bindparam("b_data", type_=sa.JSON()),
                ),
                updates,
            )
        if resolved_rows:
            conn.execute(_findings.insert(), resolved_rows)
        conn.execute(
            _scans.update()
            .where(_scans.c.seq == seq)
            .values(
                previous_scan_id=previous,
                new_count=counts["new"],
                reopened_count=counts["reopened"],
                resolved_count=counts["resolved"],
            )
        )
        previous = scan_id
    if track:
        conn.execute(_history.insert(), list(track.values()))

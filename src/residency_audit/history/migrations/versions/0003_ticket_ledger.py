"""Ticket ledger: one row per (tracker, flagged bucket) naming its ticket and last-sent digest.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from residency_audit.history.models import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_ledger",
        sa.Column("sink", sa.String(50), primary_key=True),
        sa.Column("bucket_key", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("bucket_uid", sa.Text(), nullable=False),
        sa.Column("bucket_name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("pending", sa.String(20), nullable=True),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("ticket_ref", sa.String(200), nullable=True),
        sa.Column("ticket_url", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("pending_digest", sa.String(64), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("wontfix", sa.JSON(), nullable=True),
        sa.Column("last_scan_id", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ticket_ledger_state", "ticket_ledger", ["state"])


def downgrade() -> None:
    op.drop_index("ix_ticket_ledger_state", "ticket_ledger")
    op.drop_table("ticket_ledger")

"""Initial history schema: scans, their scopes, buckets and findings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from residency_audit.history.models import UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False, unique=True),
        sa.Column("started", UTCDateTime(), nullable=False),
        sa.Column("finished", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("profile_name", sa.String(200), nullable=False),
        sa.Column("profile_sha256", sa.String(64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("inventory_meta", sa.JSON(), nullable=False),
    )
    op.create_table(
        "scan_scopes",
        sa.Column(
            "scan_seq",
            sa.Integer(),
            sa.ForeignKey("scans.seq", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("provider", sa.String(50), primary_key=True),
        sa.Column("scope", sa.String(300), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_table(
        "scan_buckets",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "scan_seq", sa.Integer(), sa.ForeignKey("scans.seq", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scan_buckets_scan_seq", "scan_buckets", ["scan_seq"])
    op.create_table(
        "scan_findings",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "scan_seq", sa.Integer(), sa.ForeignKey("scans.seq", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scan_findings_scan_seq", "scan_findings", ["scan_seq"])
    op.create_index("ix_scan_findings_fingerprint", "scan_findings", ["fingerprint"])


def downgrade() -> None:
    op.drop_table("scan_findings")
    op.drop_table("scan_buckets")
    op.drop_table("scan_scopes")
    op.drop_table("scans")

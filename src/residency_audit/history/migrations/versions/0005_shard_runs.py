"""Sharded scans: each shard's run of a scan group, and the buckets it collected.

``shard_runs`` has one row per (group, shard index), written unfinished when the shard starts and
completed with its buckets in one transaction when it ends. ``shard_buckets`` refers to each
bucket's JSON in ``json_documents`` as ``scan_buckets`` does. The assembly reads them into one
scan recorded the usual way.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from residency_audit.history.models import UTCDateTime

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shard_runs",
        sa.Column("group_id", sa.String(200), primary_key=True),
        sa.Column("shard_index", sa.Integer(), primary_key=True),
        sa.Column("shard_count", sa.Integer(), nullable=False),
        sa.Column("started", UTCDateTime(), nullable=False),
        sa.Column("finished", UTCDateTime(), nullable=True),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("seen", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("bucket_count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "shard_buckets",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(200), nullable=False),
        sa.Column("shard_index", sa.Integer(), nullable=False),
        sa.Column("data_digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_shard_buckets_run", "shard_buckets", ["group_id", "shard_index"])


def downgrade() -> None:
    op.drop_index("ix_shard_buckets_run", "shard_buckets")
    op.drop_table("shard_buckets")
    op.drop_table("shard_runs")

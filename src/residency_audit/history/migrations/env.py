"""Alembic environment: runs on the connection the history store hands over (no alembic.ini).

Offline (SQL script) mode is not supported: migrations always run against a live database.
"""

from __future__ import annotations

from alembic import context

from residency_audit.history.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("residency-audit migrations run through HistoryStore.open(), not alembic")

context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()

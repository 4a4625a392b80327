"""The shipped revision ids a store opens against without Alembic agree with Alembic's reading."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from residency_audit.history.engine import alembic_config, head_revision, shipped_revisions


def test_the_revision_files_read_as_alembic_reads_them() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    known, head = shipped_revisions()
    assert known == {s.revision for s in scripts.walk_revisions()}
    assert head == scripts.get_current_head() == head_revision()

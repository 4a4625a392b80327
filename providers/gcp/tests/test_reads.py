"""The reads table: one row for every request the plugin can send, shown in the README as is."""

from __future__ import annotations

from pathlib import Path

from residency_audit.reads import markdown_table
from residency_audit_gcp.permissions import REQUESTS
from residency_audit_gcp.reads import READS

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## What each read feeds, and what its failure hides"


def test_every_request_has_a_row_and_every_row_belongs_to_a_request() -> None:
    names = {name for name, *_ in REQUESTS}
    assert names <= set(READS)
    # the other rows are parts of one request's answer ("storage.buckets.list: acl")
    assert all(key.split(": ", 1)[0] in names for key in READS)


def test_a_bucket_level_failure_always_hides_something() -> None:
    for name, spec in READS.items():
        if spec.field is not None:
            assert spec.hides, f"{name} fails into a gap that hides nothing"
        else:
            assert not spec.hides, f"{name} is scope-level: its failure fails the scope"


def test_the_readme_shows_exactly_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    shown = [line for line in section.splitlines() if line.startswith("|")]
    assert "\n".join(shown) == markdown_table(READS)

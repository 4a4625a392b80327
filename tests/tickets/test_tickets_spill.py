"""A scan's findings on disk (spill) stay on disk through ticket sync (issue 14, part 4)."""

from __future__ import annotations

from typing import Any

from residency_audit.model import Finding
from residency_audit.results import ScanResult
from residency_audit.spill import Spill, SpillWriter

from .conftest import FakeGitHub, config, finding, scan

GH = {"url": "https://api.github.com", "repo": "acme/infra", "token_env": "GH_TOKEN"}


def _on_disk(result: ScanResult) -> ScanResult:
    writer = SpillWriter(Finding)
    writer.extend(result.findings)
    return result.model_copy(update={"findings": writer.finish()})


def test_a_ticket_closed_as_not_planned_marks_the_spilled_findings_without_holding_them(
    sync: Any,
) -> None:
    fake = FakeGitHub()
    cfg = config(github=GH, lang="en")
    alpha, beta = finding("alpha"), finding("beta")
    sync(_on_disk(scan("s1", [alpha, beta])), cfg, fake)
    issue = next(i for i in fake.issues.values() if "beta" in i["title"])
    issue.update(state="closed", state_reason="not_planned")
    plan = sync(_on_disk(scan("s2", [alpha, beta])), cfg, fake)
    assert [a.kind for a in plan.actions] == ["wontfix"]
    assert isinstance(plan.result.findings, Spill)  # still on disk, read one at a time
    marked = {f.resource.name: f.suppression for f in plan.result.findings if f.resource}
    assert marked["alpha"] is None
    assert marked["beta"] is not None and str(issue["number"]) in marked["beta"].id

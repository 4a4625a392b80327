"""Progress on a terminal: scopes done, buckets collected, errors so far; silent otherwise."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console
from rich.progress import Progress

from residency_audit.model import ScopeResult, ScopeStatus
from residency_audit.progress import RichProgress, progress_display


def test_progress_counts_scopes_buckets_and_errors() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with Progress(console=console, auto_refresh=False) as bar:
        sink = RichProgress(bar)
        sink.scopes_found("aws", 2)
        for _ in range(3):
            sink.bucket_collected("aws", "111122223333")
        sink.scope_finished(ScopeResult(provider="aws", scope="1"))
        sink.scope_finished(
            ScopeResult(provider="aws", scope="2", status=ScopeStatus.FAILED, error="denied")
        )
        task = bar.tasks[0]
        assert (task.completed, task.total) == (2, 2)
        assert task.fields == {"buckets": 3, "errors": 1}


def test_no_progress_when_not_a_terminal_or_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file, as under cron
    with progress_display(enabled=True) as sink:
        assert sink is None
    with progress_display(enabled=False) as sink:
        assert sink is None

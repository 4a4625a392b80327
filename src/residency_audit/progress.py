"""Progress display for ``scan`` on a terminal (rich). Silent when not a TTY or with --quiet."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .model import ScopeResult, ScopeStatus

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["RichProgress", "progress_display"]


class RichProgress:
    """Scopes done / found, buckets collected, errors so far. Thread-safe."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._task = progress.add_task("scopes", total=0, buckets=0, errors=0)
        self._buckets = 0
        self._errors = 0

    def scopes_found(self, provider: str, count: int) -> None:
        with self._lock:
            total = (self._progress.tasks[0].total or 0) + count
            self._progress.update(self._task, total=total)

    def bucket_collected(self, provider: str, scope: str) -> None:
        with self._lock:
            self._buckets += 1
            self._progress.update(self._task, buckets=self._buckets)

    def scope_finished(self, result: ScopeResult) -> None:
        with self._lock:
            if result.status is not ScopeStatus.COMPLETE:
                self._errors += 1
            self._progress.update(self._task, advance=1, errors=self._errors)


@contextmanager
def progress_display(enabled: bool = True) -> Iterator[RichProgress | None]:
    # rich is imported only for a display that may be drawn: not with --quiet, and not on a plain
    # pipe (unless rich is told to draw anyway: FORCE_COLOR, TTY_COMPATIBLE)
    forced = "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ
    if not enabled or not (forced or _isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=sys.stderr)
    if not console.is_terminal:  # rich's own judgement, environment included
        yield None
        return
    columns = (
        TextColumn("[bold]scanning[/] scopes"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("buckets {task.fields[buckets]}  errors {task.fields[errors]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield RichProgress(progress)


def _isatty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False

"""The cyclic garbage collector paused while a report is built.

Building a report allocates rows, tuples and strings that all live until the file is written,
and each pass of the collector walks the whole scan result again: at 20,000 buckets that was
about half the workbook's time and up to a second of the page's. Nothing a writer builds makes
reference cycles, so nothing waits for the collector.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

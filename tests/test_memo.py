"""Once: concurrent workers asking for the same key make one computation, not one each."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from residency_audit.memo import Once


def test_each_key_is_computed_once_under_concurrency() -> None:
    calls: list[str] = []
    lock = threading.Lock()
    memo: Once[str, str] = Once()

    def compute(key: str) -> str:
        with lock:
            calls.append(key)
        time.sleep(0.02)  # long enough for the other workers to arrive while it runs
        return key.upper()

    keys = ["a", "b"] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda k: memo.get(k, lambda: compute(k)), keys))
    assert results == [k.upper() for k in keys]
    assert sorted(calls) == ["a", "b"]
    assert sorted(memo.values()) == ["A", "B"]

"""A per-account request-rate cap, so an audit never throttles the account's own workloads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["RateLimiter"]


class RateLimiter:
    """Token bucket shared by every client of one account (thread-safe).

    ``acquire`` runs on botocore's ``before-send`` event, i.e. once per HTTP attempt, so retries
    count against the cap too.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; returns the clock reading at which it was granted."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return now
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)

    def before_send(self, **_: Any) -> None:
        """botocore's ``before-send`` handler: waits for a token. It returns None, as it must: a
        value returned there would be taken for the HTTP response."""
        self.acquire()

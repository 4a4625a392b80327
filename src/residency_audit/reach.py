"""Which endpoints have answered during a scan, for the plugins' retry rules on connect failures.

A connection that cannot be opened to an endpoint that has never answered is not retried: the
connect timeout already covers TCP's own SYN retransmissions, and asking again (botocore: 5
attempts, azure-core: 3 connect retries, google-api-core: 120 s of retries) only turns an endpoint
that is down, mistyped or firewalled into a minute of silence. Once an endpoint has answered, a
connect failure is taken for a blip and retried as the SDK would.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

__all__ = ["Reached", "endpoint_of"]


def endpoint_of(url: str) -> str:
    """``scheme://host:port`` of a URL, the port made explicit: the unit reachability is kept by."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class Reached:
    """A thread-safe set of the endpoints that have answered at least once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def answered(self, url: str) -> None:
        key = endpoint_of(url)
        if key in self._seen:  # read without the lock: a set's membership test is atomic
            return
        with self._lock:
            self._seen.add(key)

    def ever_answered(self, url: str) -> bool:
        return endpoint_of(url) in self._seen

"""A thread-safe memo for provider plugins: each key is computed once, by the first worker that
asks; workers asking for the same key meanwhile wait for that result instead of repeating the API
call (a destination bucket's region, a KMS key, a region's backup plans, a subscription's
vaults). And :class:`Shared`: one instance for equal immutable values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Once", "Shared"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
H = TypeVar("H", bound=Hashable)


class Once(Generic[K, V]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[threading.Lock, list[V]]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            lock, box = self._entries.setdefault(key, (threading.Lock(), []))
        with lock:  # one computation per key; other keys go on in parallel
            if not box:
                box.append(compute())
            return box[0]

    def put(self, key: K, value: V) -> None:
        """Record a value learnt elsewhere (a bucket's region from its listing), unless the key
        has one already."""
        with self._lock:
            _, box = self._entries.setdefault(key, (threading.Lock(), []))
            if not box:
                box.append(value)

    def values(self) -> list[V]:
        """Every value computed so far."""
        with self._lock:
            return [box[0] for _, box in self._entries.values() if box]


class Shared:
    """One instance for each distinct value: the first equal one seen stands for the rest.

    For frozen models built again and again with the same content -- a rule's remediation text,
    a region's country resolution, an adjustment's wording. At 100,000 buckets each repeat kept
    apart costs a kilobyte or more a finding; shared, the scan's memory is what is distinct.
    Only for immutable values (a frozen model, a tuple of them, a string). Not thread-safe.
    """

    def __init__(self) -> None:
        self._seen: dict[Hashable, Hashable] = {}

    def __call__(self, value: H) -> H:
        return self._seen.setdefault(value, value)  # type: ignore[return-value]

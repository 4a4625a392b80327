"""Sequences of frozen models kept on disk as their JSON, not in memory (issue 14, part 4).

A scan of 100,000 buckets makes some 220,000 findings. As objects they take about 3 KB each
(both languages' messages, pydantic's per-instance dict and field set), so a result held whole
costs over a gibibyte before any report is written. A :class:`Spill` holds the same findings in
an unnamed temporary file, one JSON document each, with 8 bytes of index per item in memory:
each stage reads them one at a time, and the operating system's page cache keeps the reads
cheap. Only what a stage keeps (a count, a capped list of rows) stays in memory.

A Spill is an immutable :class:`~collections.abc.Sequence`: it compares equal to a tuple with
the same items, and code written for tuples reads it unchanged. Build one with
:class:`SpillWriter`; :func:`builder_like` picks a writer or a plain tuple builder to match an
input, so a stage keeps small results (tests, offline evaluations) in memory and large ones on
disk without knowing which it has.
"""

from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Annotated, Any, Generic, Protocol, TypeVar, overload

from pydantic import (
    BaseModel,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    WrapSerializer,
    WrapValidator,
)

from .plaintext import json_bytes

__all__ = ["Builder", "Items", "Spill", "SpillError", "SpillWriter", "builder_like", "in_order"]

M = TypeVar("M", bound=BaseModel)

_FLUSH_BYTES = 1 << 20  # written in pieces of about this size
_READ_BYTES = 1 << 20  # read ahead this much when going through in stored order


class SpillError(OSError):
    """The temporary files could not be made or written (the temp directory is missing, not
    writable or full): a fault of this machine, not of any cloud scope being read."""


class _Store:
    """The file behind one or more Spills: appended by one writer, then only read (``pread``
    keeps no shared offset, so threads may read at once). Closed -- and, being unnamed, gone --
    when the last Spill using it goes."""

    def __init__(self, directory: str | None) -> None:
        where = directory or tempfile.gettempdir()
        try:
            # kept open for the Spills' lifetime, not a with-block's
            self.file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
                prefix="residency-audit-", dir=directory
            )
        except OSError as exc:
            raise _failed(where, exc) from exc
        self.where = where
        self.size = 0

    def write(self, data: bytes | bytearray) -> None:
        try:
            self.file.write(data)
            self.file.flush()
        except OSError as exc:
            raise _failed(self.where, exc) from exc
        self.size += len(data)

    def read(self, start: int, size: int) -> bytes:
        data = os.pread(self.file.fileno(), size, start)
        if len(data) != size:  # pragma: no cover - the file is ours and never truncated
            raise OSError(f"spill file read short: {len(data)} of {size} bytes at {start}")
        return data


def _failed(where: str, exc: OSError) -> SpillError:
    return SpillError(
        f"the scan's temporary files in {where} could not be written: {exc.strerror or exc} "
        "(set TMPDIR to a directory with room)"
    )


class Spill(Sequence[M]):
    """An immutable sequence of ``model`` instances stored as JSON in a temporary file."""

    __slots__ = ("_ends", "_model", "_order", "_sorted_by", "_starts", "_store", "_views")

    def __init__(
        self,
        model: type[M],
        store: _Store,
        starts: array[int],
        ends: array[int],
        order: array[int] | None = None,
    ) -> None:
        self._model = model
        self._store = store
        self._starts = starts
        self._ends = ends
        self._order = order  # None: stored order; else the stored index of each position
        self._views: dict[Callable[[M], Any], Spill[M]] = {}
        self._sorted_by: set[Callable[[M], Any]] = set()  # key functions it is in order of

    @property
    def model(self) -> type[M]:
        return self._model

    def __len__(self) -> int:
        return len(self._starts) if self._order is None else len(self._order)

    def _stored(self, position: int) -> int:
        return position if self._order is None else self._order[position]

    def _raw_at(self, stored: int) -> bytes:
        start = self._starts[stored]
        return self._store.read(start, self._ends[stored] - start)

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[M, ...]: ...

    def __getitem__(self, index: int | slice) -> M | tuple[M, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("spill index out of range")
        return self._model.model_validate_json(self._raw_at(self._stored(index)))

    def raw(self) -> Iterator[bytes]:
        """Each item's JSON (as ``model_dump_json`` wrote it), in this sequence's order."""
        if self._order is not None:
            for stored in self._order:
                yield self._raw_at(stored)
            return
        n, i = len(self._starts), 0
        while i < n:
            # one read for as many whole items as fit in _READ_BYTES (at least one)
            first = self._starts[i]
            j = i + 1
            while j < n and self._ends[j] - first <= _READ_BYTES:
                j += 1
            block = self._store.read(first, self._ends[j - 1] - first)
            for k in range(i, j):
                yield block[self._starts[k] - first : self._ends[k] - first]
            i = j

    def __iter__(self) -> Iterator[M]:
        parse = self._model.model_validate_json
        for data in self.raw():
            yield parse(data)

    def sorted_by(self, key: Callable[[M], Any]) -> Spill[M]:
        """The same items ordered by ``key`` (stable), without copying them: one pass computes
        the keys, which are dropped once the order is known. Kept per key function, so stages
        that share an order pay for it once."""
        if key in self._sorted_by:
            return self
        view = self._views.get(key)
        if view is None:
            keys = [key(item) for item in self]
            positions = sorted(range(len(keys)), key=keys.__getitem__)
            del keys
            order = array("q", (self._stored(p) for p in positions))
            view = Spill(self._model, self._store, self._starts, self._ends, order)
            view.mark_sorted_by(key)
            self._views[key] = view
        return view

    def mark_sorted_by(self, key: Callable[[M], Any]) -> None:
        """Record that the items are already in ``key``'s order (as written by a stage that kept
        its input's order), so ``sorted_by(key)`` costs nothing."""
        self._sorted_by.add(key)

    def sorted_keys(self) -> frozenset[Callable[[M], Any]]:
        """The key functions this sequence is known to be in order of."""
        return frozenset(self._sorted_by)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spill) and other._store is self._store and other._order == self._order:
            return True
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))  # equal to a tuple of the same items: the same hash

    def __repr__(self) -> str:
        return f"Spill({len(self)} {self._model.__name__})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))  # a copy leaves the file behind: it is a tuple


class Builder(Protocol[M]):
    """Collects items one at a time; ``finish`` gives the sequence."""

    def add(self, item: M) -> None: ...

    def finish(self) -> Sequence[M]: ...


class _TupleBuilder(Generic[M]):
    def __init__(self, key: Callable[[M], Any] | None) -> None:
        self._items: list[M] = []
        self._key = key

    def add(self, item: M) -> None:
        self._items.append(item)

    def finish(self) -> tuple[M, ...]:
        if self._key is not None:
            self._items.sort(key=self._key)
        return tuple(self._items)


class SpillWriter(Generic[M]):
    """Appends models to a new Spill. Thread-safe; ``finish`` once, then only read.

    With ``key``, ``finish`` gives the items sorted by it (stable): each key is taken as its
    item is added, while the item is still an object, so ordering costs no parsing pass."""

    def __init__(
        self,
        model: type[M],
        directory: str | None = None,
        *,
        key: Callable[[M], Any] | None = None,
    ) -> None:
        self._model = model
        self._key = key
        self._keys: list[Any] = []
        self._store = _Store(directory)
        self._starts: array[int] = array("q")
        self._ends: array[int] = array("q")
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._done = False

    def add(self, item: M) -> None:
        data = json_bytes(item)  # text no UTF-8 can hold is kept as U+FFFD
        with self._lock:
            if self._done:
                raise RuntimeError("this spill is finished")
            start = self._store.size + len(self._buffer)
            self._buffer += data
            self._starts.append(start)
            self._ends.append(start + len(data))
            if self._key is not None:
                self._keys.append(self._key(item))
            if len(self._buffer) >= _FLUSH_BYTES:
                self._flush()

    def extend(self, items: Iterable[M]) -> None:
        for item in items:
            self.add(item)

    def _flush(self) -> None:
        if self._buffer:
            self._store.write(self._buffer)
            self._buffer.clear()

    def finish(self) -> Spill[M]:
        with self._lock:
            self._flush()
            self._done = True
        if self._key is None:
            return Spill(self._model, self._store, self._starts, self._ends)
        keys, self._keys = self._keys, []
        order = array("q", sorted(range(len(keys)), key=keys.__getitem__))
        del keys
        spill = Spill(self._model, self._store, self._starts, self._ends, order)
        spill.mark_sorted_by(self._key)
        return spill


def builder_like(
    items: Sequence[Any], model: type[M], *, key: Callable[[M], Any] | None = None
) -> Builder[M]:
    """A builder for a sequence made from ``items``: on disk when ``items`` is, else a tuple;
    sorted by ``key`` when given."""
    if isinstance(items, Spill):
        return SpillWriter(model, key=key)
    return _TupleBuilder(key)


def in_order(items: Sequence[M], key: Callable[[M], Any]) -> Sequence[M]:
    """``items`` sorted by ``key`` (stable): a view of a Spill, else a tuple."""
    if isinstance(items, Spill):
        return items.sorted_by(key)
    return tuple(sorted(items, key=key))


def _keep_spill(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A Spill is kept as it is (its items were models when written); anything else is
    validated item by item and kept as a tuple."""
    if isinstance(value, Spill):
        return value
    return tuple(handler(value))


def _dump_spill(value: Any, handler: SerializerFunctionWrapHandler) -> Any:
    return handler(tuple(value) if isinstance(value, Spill) else value)


# A model field holding many models: a tuple, or a Spill when the items are on disk.
Items = Annotated[Sequence[M], WrapValidator(_keep_spill), WrapSerializer(_dump_spill)]

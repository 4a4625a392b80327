"""Collecting the copies made around a project's buckets: the three service lists once per
project, and each destination bucket's location once per scan.

Both sources use it (a live scan and ``source = "inventory"``): the lists are read live either
way. A destination is taken from the project's own listing when it is there (no request), else
read with ``buckets.get`` through the project's Cloud Storage endpoint, and remembered for every
later bucket and project of the scan (one central log bucket costs one read per scan).

A backend bucket, job or config is matched against the buckets of its own project only: one in
another project that names a bucket of this one is not seen (README: "Copies made around a
bucket").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from residency_audit.model import CoverageNote, Gap, Location

from . import copies
from .client import GcpApiError, StorageReader
from .copies import CopySources, Destination, ReadFailure
from .copies_client import CopyServicesReader, Listing

__all__ = ["CopyCollector", "ProjectCopies"]

MembersOf = Callable[[str], Sequence[str]]
_Around = tuple[tuple[Location, ...], tuple[Gap, ...]]


def _attempt(
    read: Callable[[str], Listing], project: str
) -> tuple[Listing | None, ReadFailure | None]:
    try:
        return read(project), None
    except GcpApiError as exc:
        return None, (exc.code, exc.message)


class ProjectCopies:
    """One project's copy sources, read on the first bucket that needs them (a project without
    buckets costs nothing), and the locations of the destinations its buckets name."""

    def __init__(
        self,
        collector: CopyCollector,
        project: str,
        own: Mapping[str, Mapping[str, Any]],
        locations: Sequence[str],
    ) -> None:
        self._collector = collector
        self._project = project
        self._own = own
        self._locations = locations
        self._sources: CopySources | None = None

    def read(self) -> CopySources:
        """The project's lists, read on the first call."""
        if self._sources is None:
            self._sources = self._collector.read_sources(self._project, self._locations)
        return self._sources

    def notes(self) -> list[CoverageNote]:
        """What the project's coverage says of its copy services (once they have been read)."""
        if self._sources is None:
            return []
        note = copies.disabled_note(self._project, self._sources)
        return [] if note is None else [note]

    def around(self, name: str, resource: Mapping[str, Any]) -> _Around:
        sources = self.read()
        needed = copies.destinations_needed(name, resource, sources)
        found = {d: self._own.get(d) or self._destination(d) for d in needed}
        return copies.around(name, resource, sources, found, self._collector.members_of)

    def _destination(self, bucket: str) -> Destination:
        return self._collector.destination(self._project, bucket)


class CopyCollector:
    """The scan's reads of the copy services (thread-safe: scopes may run side by side)."""

    def __init__(
        self,
        services_for: Callable[[str], CopyServicesReader],
        storage_for: Callable[[str], StorageReader],
        members_of: MembersOf,
    ) -> None:
        self._services_for = services_for
        self._storage_for = storage_for
        self.members_of = members_of
        self._lock = threading.Lock()
        self._destinations: dict[str, Destination] = {}
        self._pending: dict[str, threading.Event] = {}

    def project(
        self,
        project: str,
        listed: Sequence[Mapping[str, Any]] | None = None,
        *,
        locations: Sequence[str] | None = None,
    ) -> ProjectCopies:
        """The project's copies. ``listed``: its bucket resources, when the caller holds them
        (their locations answer destinations without a request); ``locations``: its buckets'
        locations, when the caller holds only those (else taken from ``listed``)."""
        own = {str(r.get("name")): r for r in listed or ()}
        if locations is None:
            locations = sorted(
                {
                    r["location"].lower()
                    for r in own.values()
                    if isinstance(r.get("location"), str) and r["location"]
                }
            )
        return ProjectCopies(self, project, own, locations)

    def read_sources(self, project: str, locations: Sequence[str] = ()) -> CopySources:
        """The project's three lists, each read once; a failed one is kept as its error.
        ``locations``: the project's bucket locations (Storage Insights, if ``-`` is refused)."""
        reader = self._services_for(project)
        try:
            # side by side: three independent round trips cost one
            with ThreadPoolExecutor(max_workers=3, thread_name_prefix="gcp-copies") as pool:
                insights = partial(reader.report_configs, locations=locations)
                lists = (reader.backend_buckets, reader.transfer_jobs, insights)
                reads = [pool.submit(_attempt, read, project) for read in lists]
                (cdn, cdn_error), (jobs, jobs_error), (configs, configs_error) = (
                    f.result() for f in reads
                )
        finally:
            reader.close()
        return CopySources(
            backend_buckets=cdn_error or (cdn.items if cdn else ()),
            transfer_jobs=jobs_error or (jobs.items if jobs else ()),
            report_configs=configs_error or (configs.items if configs else ()),
            unreachable=configs.unreachable if configs else (),
        )

    def destination(self, project: str, bucket: str) -> Destination:
        """Bucket ``bucket``'s resource (read once a scan), or why it could not be read."""
        with self._lock:
            if bucket in self._destinations:
                return self._destinations[bucket]
            waiting = self._pending.get(bucket)
            if waiting is None:
                self._pending[bucket] = threading.Event()
        if waiting is not None:  # another scope is reading it
            waiting.wait()
            with self._lock:
                return self._destinations[bucket]
        # what the scopes waiting on this read are given if it raises (their gap says so)
        found: Destination = ("error", "the read of the bucket's location did not finish")
        try:
            reader = self._storage_for(project)
            try:
                found = reader.get_bucket(bucket)
            except GcpApiError as exc:
                found = (exc.code, exc.message)
            finally:
                reader.close()
        finally:
            with self._lock:
                self._destinations[bucket] = found
                self._pending.pop(bucket).set()
        return found

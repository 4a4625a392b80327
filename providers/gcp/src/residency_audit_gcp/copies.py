"""Copies made around a bucket: pure functions from the API answers to locations and gaps.

Four services put a bucket's data (or its object metadata) somewhere else:

* **Cloud CDN** (Compute Engine backend bucket, ``bucketName`` the bucket, ``enableCdn: true``):
  whole objects may be cached at Google's edges -- a ``cache`` location in the catalog's ``cdn``
  namespace, code ``cloud-cdn``, always possible (what is cached depends on who asks).
  ``enableCdn`` false or absent: the backend serves from the bucket and caches nothing.
* **Storage Transfer Service** (a job's ``transferSpec`` or ``replicationSpec`` with
  ``gcsDataSource.bucketName`` the bucket): whole objects copied to the sink -- a ``transfer``
  location where the sink bucket is (``gcsDataSink``). An ENABLED job's copies are confirmed;
  a DISABLED job runs no more, but what it copied may remain (possible); a DELETED job is not
  counted. A POSIX sink is a file system reached through transfer agents the customer runs:
  the API does not say where, so the region is unknown.
* **Usage and storage logs** (the bucket's ``logging.logBucket``): every request's object name
  and the daily storage size are written to the log bucket -- a ``metadata`` location. Cloud
  Storage does not check that the log bucket exists or where it is (gsutil ``logging set on``:
  "Cloud Storage doesn't validate the existence of the output bucket"), so its location is read.
* **Storage Insights inventory reports** (``objectMetadataReportOptions.storageFilters.bucket``
  the bucket): object metadata written to ``storageDestinationOptions.bucket`` -- a
  ``metadata`` location. Source and destination are said to share a project and location (a
  third-party provider's reference; Google's own section on it could not be read here), but the
  config names the destination by name only, and a bucket of that name may since have been made
  elsewhere: the destination's location is read, not assumed.

A destination's location comes from the project's own listing, else ``buckets.get``; one that
cannot be read is a location with ``region=None`` and the read's error (unverified). A service
list that fails is a gap on every bucket of the project, hiding a copy.

An API that is not enabled in the project (``SERVICE_DISABLED``) is no such gap: a disabled
service "can no longer be used with a project"
(https://cloud.google.com/service-usage/docs/reference/rest/v1/services/disable), so no job,
backend bucket or report config of it copies anything while it is disabled -- and most projects
never enable Storage Transfer or Storage Insights at all, so a gap would put an unverified
finding on nearly every bucket. What stays unknown is what such a service copied while it was
enabled (as for a job deleted since): the project's coverage says so, naming the services
(:func:`disabled_note`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from residency_audit.model import (
    Certainty,
    CoverageNote,
    Evidence,
    Gap,
    Location,
    Namespace,
    Role,
)

from .copies_client import SERVICE_DISABLED
from .normalize import PROVIDER, bucket_locations
from .reads import BACKEND_BUCKETS, LOGGING, READS, REPORT_CONFIGS, TRANSFER_JOBS

__all__ = [
    "CopySources",
    "Destination",
    "ReadFailure",
    "around",
    "destinations_needed",
    "disabled_note",
]

ReadFailure = tuple[str, str]  # (error code, message)
Destination = Mapping[str, Any] | ReadFailure  # the bucket resource, or why it was not read
MembersOf = Callable[[str], Sequence[str]]

_CDN_REGION = "cloud-cdn"
_SPECS = ("transferSpec", "replicationSpec")
_SERVICES = {
    BACKEND_BUCKETS: "Compute Engine (Cloud CDN backend buckets)",
    TRANSFER_JOBS: "Storage Transfer Service",
    REPORT_CONFIGS: "Storage Insights",
}


@dataclass(frozen=True)
class CopySources:
    """One project's answers: each list's items, or the failure that left it unread."""

    backend_buckets: Sequence[Mapping[str, Any]] | ReadFailure = ()
    transfer_jobs: Sequence[Mapping[str, Any]] | ReadFailure = ()
    report_configs: Sequence[Mapping[str, Any]] | ReadFailure = ()
    unreachable: tuple[str, ...] = ()  # Storage Insights locations the list could not read
    # source bucket -> the configs naming it, built once (a project may hold thousands of jobs)
    _by_source: dict[str, list[tuple[str, str, Certainty]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for mechanism, dest, certainty, source in self._pairs():
            self._by_source.setdefault(source, []).append((mechanism, dest, certainty))

    def _pairs(self) -> Iterator[tuple[str, str, Certainty, str]]:
        """(mechanism, destination, certainty, source bucket) of every transfer job and inventory
        report config; the destination is a bucket name, ``posix:ROOT`` or ``unknown:`` for a
        sink that is no bucket, or "" where none is named."""
        for job in _items(self.transfer_jobs):
            status = job.get("status")
            if status == "DELETED":
                continue
            # an unrecognised status is counted as running: a copy is never assumed away
            disabled = status == "DISABLED"
            mechanism = "storage-transfer (job disabled)" if disabled else "storage-transfer"
            certainty = Certainty.POSSIBLE if disabled else Certainty.CONFIRMED
            for key in _SPECS:
                spec = job.get(key)
                source = _bucket_of(spec, "gcsDataSource")
                if source:
                    sink = _bucket_of(spec, "gcsDataSink") or _sink_kind(spec)
                    yield mechanism, sink, certainty, source
        for config in _items(self.report_configs):
            options = config.get("objectMetadataReportOptions")
            source = _bucket_of(options, "storageFilters", "bucket")
            if source:
                dest = _bucket_of(options, "storageDestinationOptions", "bucket")
                yield "storage-insights-inventory", dest, Certainty.CONFIRMED, source

    def sent_from(self, bucket: str) -> list[tuple[str, str, Certainty]]:
        return self._by_source.get(bucket, [])


def _items(answer: Sequence[Mapping[str, Any]] | ReadFailure) -> Sequence[Mapping[str, Any]]:
    return () if _failed(answer) else answer  # type: ignore[return-value]


def _failed(answer: object) -> bool:
    # a failure is a (code, message) pair; a list's items are never a tuple of two strings
    if not isinstance(answer, tuple) or len(answer) != 2:
        return False
    return all(isinstance(a, str) for a in answer)


def _bucket_of(obj: Any, key: str, name: str = "bucketName") -> str:
    inner = obj.get(key) if isinstance(obj, Mapping) else None
    value = inner.get(name) if isinstance(inner, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


# a sink that is no bucket: "posix:<root directory>", or "unknown:" for none named (bucket names
# cannot hold ":", so neither is ever taken for one)
_NON_GCS = "posix:"


def _sink_kind(spec: Any) -> str:
    posix = spec.get("posixDataSink") if isinstance(spec, Mapping) else None
    if isinstance(posix, Mapping):
        return f"{_NON_GCS}{posix.get('rootDirectory') or ''}"
    return "unknown:"


def _log_bucket(resource: Mapping[str, Any]) -> tuple[str | None, Gap | None]:
    logging = resource.get("logging")
    if logging is None:
        return None, None
    value = logging.get("logBucket") if isinstance(logging, Mapping) else None
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(logging, Mapping) and value is None:
        return None, None  # logging set without a log bucket: nothing is delivered
    why = Evidence(key="gcs.field-malformed", subject="logging")
    return None, READS[LOGGING].gap("the logging field is not readable", "malformed", why)


def destinations_needed(
    name: str, resource: Mapping[str, Any], sources: CopySources
) -> tuple[str, ...]:
    """The destination buckets whose location the bucket's copies need."""
    found = [dest for _, dest, _ in sources.sent_from(name) if dest and ":" not in dest]
    log_bucket, _ = _log_bucket(resource)
    if log_bucket:
        found.append(log_bucket)
    return tuple(dict.fromkeys(found))


def around(
    name: str,
    resource: Mapping[str, Any],
    sources: CopySources,
    destinations: Mapping[str, Destination],
    members_of: MembersOf,
) -> tuple[tuple[Location, ...], tuple[Gap, ...]]:
    """The copies made around bucket ``name`` (its resource ``resource``), and the gaps of the
    lists that could not be read. ``destinations``: each of ``destinations_needed`` resolved."""
    locations: list[Location] = []
    gaps: list[Gap] = []
    for read, answer in (
        (BACKEND_BUCKETS, sources.backend_buckets),
        (TRANSFER_JOBS, sources.transfer_jobs),
        (REPORT_CONFIGS, sources.report_configs),
    ):
        if _failed(answer) and not _disabled(answer):
            gaps.append(_list_gap(read, answer))  # type: ignore[arg-type]
    if sources.unreachable:
        where = ", ".join(sources.unreachable)
        reason = f"Storage Insights could not list the report configs of {where}"
        why = Evidence(
            key="gcs.copies-list-failed", subject=REPORT_CONFIGS, value="unreachable", text=where
        )
        gaps.append(READS[REPORT_CONFIGS].gap(reason, "unreachable", why))
    for backend in _items(sources.backend_buckets):
        if backend.get("bucketName") == name and backend.get("enableCdn") is True:
            locations.append(_cache(backend))
    for mechanism, dest, certainty in sources.sent_from(name):
        role = Role.METADATA if mechanism == "storage-insights-inventory" else Role.TRANSFER
        locations += _copies_to(role, mechanism, dest, certainty, destinations, members_of)
    log_bucket, log_gap = _log_bucket(resource)
    if log_gap is not None:
        gaps.append(log_gap)
    if log_bucket:
        locations += _copies_to(
            Role.METADATA,
            "gcs-usage-logs",
            log_bucket,
            Certainty.CONFIRMED,
            destinations,
            members_of,
        )
    return tuple(locations), tuple(gaps)


def _disabled(answer: object) -> bool:
    return _failed(answer) and answer[0] == SERVICE_DISABLED  # type: ignore[index]


def disabled_note(project: str, sources: CopySources) -> CoverageNote | None:
    """The services not enabled in the project: nothing of theirs copies now; what they copied
    while enabled cannot be read (see the module's docstring)."""
    off = [
        _SERVICES[read]
        for read, answer in (
            (BACKEND_BUCKETS, sources.backend_buckets),
            (TRANSFER_JOBS, sources.transfer_jobs),
            (REPORT_CONFIGS, sources.report_configs),
        )
        if _disabled(answer)
    ]
    if not off:
        return None
    return CoverageNote(
        kind="copy-services-disabled",
        detail=f"project {project}: the API of {', '.join(off)} is not enabled, so none of its "
        "jobs or configurations copies this project's buckets now; copies it made while it was "
        "enabled, if it ever was, cannot be read from it",
        counts={"services": len(off)},
    )


def _list_gap(read: str, failure: ReadFailure) -> Gap:
    code, message = failure
    reason = f"{read} failed: {message}"
    why = Evidence(key="gcs.copies-list-failed", subject=read, value=code, text=message)
    return READS[read].gap(reason, code, why)


def _cache(backend: Mapping[str, Any]) -> Location:
    return Location(
        role=Role.CACHE,
        provider=PROVIDER,
        region=_CDN_REGION,
        namespace=Namespace.CDN,
        mechanism="cloud-cdn",
        target=str(backend.get("selfLink") or backend.get("name") or ""),
        certainty=Certainty.POSSIBLE,
    )


def _copies_to(
    role: Role,
    mechanism: str,
    dest: str,
    certainty: Certainty,
    destinations: Mapping[str, Destination],
    members_of: MembersOf,
) -> list[Location]:
    """Where bucket ``dest`` holds what ``mechanism`` sends it: the destination's own locations
    (every member of a dual- or multi-region), with this role and mechanism."""

    def unknown(reason: str, why: Evidence, target: str | None = dest) -> list[Location]:
        return [
            Location(
                role=role,
                provider=PROVIDER,
                region=None,
                mechanism=mechanism,
                target=target,
                certainty=certainty,
                unknown_reason=reason,
                why=why,
            )
        ]

    if not dest or dest == "unknown:":
        return unknown(
            "the configuration names no destination bucket, so where the copy goes is unknown",
            Evidence(key="gcs.copy-destination-unnamed", subject=mechanism),
            None,
        )
    if dest.startswith(_NON_GCS):
        root = dest.removeprefix(_NON_GCS)
        return unknown(
            f"the transfer sink is a POSIX file system ({root or 'no root directory'}) reached "
            "through transfer agents the customer runs: the API does not say where they are",
            Evidence(key="gcs.transfer-sink-posix", subject=root or None),
            root or None,
        )
    found = destinations.get(dest)
    if not isinstance(found, Mapping):
        code, message = found if found is not None else ("not-read", "not read")
        return unknown(
            f"the location of destination bucket {dest} could not be read ({code}: {message})",
            Evidence(key="gcs.copy-destination-unread", subject=dest, value=code, text=message),
        )
    out = []
    for loc in bucket_locations(found, members_of):
        possible = certainty is Certainty.POSSIBLE or loc.certainty is Certainty.POSSIBLE
        out.append(
            loc.model_copy(
                update={
                    "role": role,
                    "mechanism": mechanism,
                    "target": dest,
                    "certainty": Certainty.POSSIBLE if possible else Certainty.CONFIRMED,
                }
            )
        )
    return out

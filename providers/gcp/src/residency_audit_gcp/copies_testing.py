"""Test helpers: a local stub of the three services that copy a bucket (no emulator serves them).

:func:`serve_copy_services` serves, and :func:`testing.serve_emulator` serves beside Cloud
Storage, these reads in the shapes of each API's published discovery document:

* Compute Engine v1 ``backendBuckets.list``, ``GET /compute/v1/projects/P/global/backendBuckets``
  -> ``BackendBucketList`` {``kind: compute#backendBucketList``, ``id``, ``items[]``,
  ``selfLink``, ``nextPageToken``}; each ``BackendBucket`` {``kind``, ``id`` (a uint64, so a
  string), ``creationTimestamp``, ``name``, ``selfLink``, ``bucketName``, ``enableCdn``,
  ``cdnPolicy``} (https://compute.googleapis.com/$discovery/rest?version=v1).
* Storage Transfer v1 ``transferJobs.list``, ``GET /v1/transferJobs?filter=...`` ->
  ``ListTransferJobsResponse`` {``transferJobs[]``, ``nextPageToken``}; each ``TransferJob``
  {``name: transferJobs/N``, ``projectId``, ``transferSpec`` or ``replicationSpec``
  {``gcsDataSource``, ``gcsDataSink`` | ``posixDataSink``}, ``status``, ``creationTime``}. The
  ``filter`` (JSON with ``projectId``) is required: without it the stub answers
  INVALID_ARGUMENT; replication jobs are listed only with ``"dataBackend":
  "QUERY_REPLICATION_CONFIGS"`` in it, the others only without, as the reference says
  (https://storagetransfer.googleapis.com/$discovery/rest?version=v1).
* Storage Insights v1 ``projects.locations.reportConfigs.list``,
  ``GET /v1/projects/P/locations/L/reportConfigs`` -> ``ListReportConfigsResponse``
  {``reportConfigs[]``, ``nextPageToken``, ``unreachable[]``}; each ``ReportConfig`` {``name``,
  ``createTime``, ``frequencyOptions``, ``csvOptions``, ``objectMetadataReportOptions``
  {``metadataFields``, ``storageFilters.bucket``, ``storageDestinationOptions`` {``bucket``,
  ``destinationPath``}}, ``displayName``}
  (https://storageinsights.googleapis.com/$discovery/rest?version=v1). Location ``-`` lists
  every location unless ``wildcard`` is off (then 400, as a service refusing it would).

Lists are paged ``page_size`` items a page (``nextPageToken`` the offset) so paging must be
followed. Besides the fault plan of :mod:`.testing`, :data:`GARBLED` answers 200 with a body
that is not JSON. A project listed in ``disabled`` answers as an API not enabled there does: 403
PERMISSION_DENIED with an ``ErrorInfo`` of reason ``SERVICE_DISABLED`` (the google.rpc error
model, https://cloud.google.com/apis/design/errors), Compute adding its legacy
``errors[].reason: accessNotConfigured``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from .testing import FaultPlan, _answer_fault, _send_json, _serving

__all__ = [
    "GARBLED",
    "CopyEstate",
    "answer_copy_request",
    "backend_bucket",
    "is_copy_request",
    "report_config",
    "serve_copy_services",
    "transfer_job",
]

COMPUTE, TRANSFER, INSIGHTS = "compute", "storagetransfer", "storageinsights"
GARBLED = "garbled"  # a fault of this stub only: a 200 whose body is not JSON (a proxy's page)


def backend_bucket(project: str, name: str, bucket: str, *, cdn: bool = True) -> dict[str, Any]:
    link = f"https://www.googleapis.com/compute/v1/projects/{project}/global/backendBuckets/{name}"
    item: dict[str, Any] = {
        "kind": "compute#backendBucket",
        "id": "5281234567890123456",
        "creationTimestamp": "2025-05-01T01:02:03.456-07:00",
        "name": name,
        "description": "",
        "selfLink": link,
        "bucketName": bucket,
        "enableCdn": cdn,
    }
    if cdn:
        item["cdnPolicy"] = {
            "signedUrlCacheMaxAgeSec": "3600",
            "cacheMode": "CACHE_ALL_STATIC",
            "defaultTtl": 3600,
            "maxTtl": 86400,
            "clientTtl": 3600,
        }
    return item


def transfer_job(
    project: str,
    number: int,
    source: str,
    *,
    sink: str | None = None,
    posix_root: str | None = None,
    status: str = "ENABLED",
    replication: bool = False,
) -> dict[str, Any]:
    """A job copying bucket ``source`` to bucket ``sink`` (or a POSIX root through agents)."""
    spec: dict[str, Any] = {"gcsDataSource": {"bucketName": source}}
    if sink is not None:
        spec["gcsDataSink"] = {"bucketName": sink, "path": "copied/"}
    if posix_root is not None:
        spec["posixDataSink"] = {"rootDirectory": posix_root}
    if not replication:
        spec["transferOptions"] = {"overwriteWhen": "DIFFERENT"}
    job: dict[str, Any] = {
        "name": f"transferJobs/{number}",
        "description": f"copy {source}",
        "projectId": project,
        "replicationSpec" if replication else "transferSpec": spec,
        "status": status,
        "creationTime": "2025-06-01T00:00:00.000000Z",
        "lastModificationTime": "2025-06-01T00:00:00.000000Z",
    }
    if not replication:
        job["schedule"] = {"scheduleStartDate": {"year": 2025, "month": 6, "day": 1}}
    return job


def report_config(
    project: str, location: str, uuid: str, source: str, destination: str | None
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "metadataFields": ["project", "bucket", "name", "size"],
        "storageFilters": {"bucket": source},
    }
    if destination is not None:
        options["storageDestinationOptions"] = {"bucket": destination, "destinationPath": "inv/"}
    return {
        "name": f"projects/{project}/locations/{location}/reportConfigs/{uuid}",
        "createTime": "2025-07-01T00:00:00Z",
        "updateTime": "2025-07-01T00:00:00Z",
        "frequencyOptions": {
            "frequency": "DAILY",
            "startDate": {"year": 2025, "month": 7, "day": 2},
            "endDate": {"year": 2030, "month": 1, "day": 1},
        },
        "csvOptions": {"recordSeparator": "\n", "delimiter": ",", "headerRequired": True},
        "objectMetadataReportOptions": options,
        "displayName": f"inventory of {source}",
    }


@dataclass
class CopyEstate:
    """What the stub serves, by project; ``disabled``: (service, project) pairs whose API is
    not enabled; ``unreachable``: Storage Insights locations named unreachable."""

    backend_buckets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    transfer_jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    report_configs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disabled: set[tuple[str, str]] = field(default_factory=set)
    unreachable: Sequence[str] = ()
    wildcard: bool = True  # Storage Insights answers for location "-" (else 400)
    page_size: int = 2
    requests: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def is_copy_request(path: str) -> bool:
    p = urlparse(path).path
    return p.startswith("/compute/v1/") or p.startswith("/v1/")


def _error(handler: BaseHTTPRequestHandler, status: int, rpc: str, message: str) -> None:
    _send_json(handler, status, {"error": {"code": status, "message": message, "status": rpc}})


def _disabled(handler: BaseHTTPRequestHandler, service: str, project: str) -> None:
    name = f"{service}.googleapis.com"
    message = (
        f"{service} API has not been used in project {project} before or it is disabled. "
        f"Enable it by visiting https://console.developers.google.com/apis/api/{name}/overview"
        f"?project={project} then retry."
    )
    error: dict[str, Any] = {
        "code": 403,
        "message": message,
        "status": "PERMISSION_DENIED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {"service": name, "consumer": f"projects/{project}"},
            }
        ],
    }
    if service == COMPUTE:
        error["errors"] = [
            {"message": message, "domain": "usageLimits", "reason": "accessNotConfigured"}
        ]
    _send_json(handler, 403, {"error": error})


def _page(items: list[dict[str, Any]], key: str, token: str, size: int) -> dict[str, Any]:
    start = int(token or 0)
    body: dict[str, Any] = {}
    chunk = items[start : start + size]
    if chunk:
        body[key] = chunk
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return body


def answer_copy_request(
    handler: BaseHTTPRequestHandler,
    estate: CopyEstate,
    faults: FaultPlan | None = None,
    stall: float = 5.0,
    stopping: threading.Event | None = None,
) -> None:
    """Answer one GET of the three lists from ``estate`` (404 for any other path)."""
    with estate._lock:
        estate.requests.append(f"GET {handler.path}")
    fault = faults("GET", handler.path) if faults is not None else None
    if fault == GARBLED:
        page = b"<html>upstream proxy error</html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)
        return
    if fault is not None:
        _answer_fault(handler, fault, stall, stopping or threading.Event(), rpc=True)
        return
    url = urlparse(handler.path)
    qs = parse_qs(url.query)
    token = qs.get("pageToken", [""])[0]
    parts = url.path.strip("/").split("/")
    size = estate.page_size
    if parts[:3] == ["compute", "v1", "projects"] and parts[4:] == ["global", "backendBuckets"]:
        project = parts[3]
        if (COMPUTE, project) in estate.disabled:
            return _disabled(handler, COMPUTE, project)
        body = _page(estate.backend_buckets.get(project, []), "items", token, size)
        body.update(
            kind="compute#backendBucketList",
            id=f"projects/{project}/global/backendBuckets",
            selfLink=f"https://www.googleapis.com/compute/v1/projects/{project}/global/backendBuckets",
        )
        return _send_json(handler, 200, body)
    if parts == ["v1", "transferJobs"]:
        try:
            query = json.loads(qs["filter"][0])
            project = query["projectId"]
        except (KeyError, ValueError, TypeError):
            return _error(handler, 400, "INVALID_ARGUMENT", "filter with projectId is required")
        if (TRANSFER, project) in estate.disabled:
            return _disabled(handler, TRANSFER, project)
        # cross-bucket replication jobs are listed only with their dataBackend, others without
        replication = query.get("dataBackend") == "QUERY_REPLICATION_CONFIGS"
        listed = estate.transfer_jobs.get(project, [])
        jobs = [j for j in listed if ("replicationSpec" in j) is replication]
        return _send_json(handler, 200, _page(jobs, "transferJobs", token, size))
    if len(parts) == 6 and parts[:2] == ["v1", "projects"] and parts[5] == "reportConfigs":
        project, location = parts[2], parts[4]
        if (INSIGHTS, project) in estate.disabled:
            return _disabled(handler, INSIGHTS, project)
        if location == "-" and not estate.wildcard:
            return _error(handler, 400, "INVALID_ARGUMENT", "location '-' is not supported")
        configs = [
            c
            for c in estate.report_configs.get(project, [])
            if location == "-" or c["name"].split("/")[3] == location
        ]
        body = _page(configs, "reportConfigs", token, size)
        if estate.unreachable and not token:
            body["unreachable"] = list(estate.unreachable)
        return _send_json(handler, 200, body)
    return _error(handler, 404, "NOT_FOUND", f"no such method: {url.path}")


class _Handler(BaseHTTPRequestHandler):
    estate: CopyEstate
    faults: FaultPlan | None
    stopping: threading.Event

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        answer_copy_request(self, self.estate, self.faults, 5.0, self.stopping)


@contextlib.contextmanager
def serve_copy_services(estate: CopyEstate, *, faults: FaultPlan | None = None) -> Iterator[str]:
    """Serve ``estate`` on a free 127.0.0.1 port; yield its URL (for ``compute_endpoint``,
    ``transfer_endpoint`` and ``insights_endpoint`` alike)."""
    stopping = threading.Event()
    attrs = {
        "estate": estate,
        "faults": staticmethod(faults) if faults is not None else None,
        "stopping": stopping,
    }
    with _serving(type("Handler", (_Handler,), attrs)) as url:
        try:
            yield url
        finally:
            stopping.set()

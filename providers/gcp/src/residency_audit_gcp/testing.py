"""Test helpers: Cloud Storage bucket resources in the JSON API shape and a seeded emulator.

gcp-storage-emulator ignores everything but ``name`` on bucket insert, so buckets are seeded by
writing its metadata file (``<data_dir>/.cloudstorage/.meta``) before it starts; it then returns
the resources exactly as written. Requires the ``test`` extra (gcp-storage-emulator).

The emulator does not enforce IAM, so :func:`serve_emulator` can answer 403 for chosen requests
(an IAM policy read of named buckets, or the whole bucket list) the way Cloud Storage does, while
every other request reaches the unmodified emulator. A ``faults`` plan goes further: it picks, per
request, one of :data:`FAULTS` -- ``denied`` (403), ``throttled`` (429), ``unavailable`` (503) in
the API's own JSON error shape, or ``stall`` (no answer until the client's timeout has passed).
The emulator is served by a threaded server, so a stalled request does not hold up the others.
A :class:`Traffic` given to :func:`serve_emulator` records what the emulator received: every
request line, the connections opened and the most requests answered at once (with ``keep_alive``
connections stay open, as Cloud Storage keeps them, and ``hold`` makes every answer wait, as over
a network, so concurrent reads overlap).

There is no Resource Manager emulator: :func:`serve_resource_manager` is a small fake of
``projects:search`` and ``folders:search`` in the v3 REST shape (one item a page, so paging must be
followed), with the same fault plan.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse, urlsplit

if TYPE_CHECKING:
    from .copies_testing import CopyEstate

__all__ = [
    "FAULTS",
    "FaultPlan",
    "ProjectTree",
    "Traffic",
    "bucket_resource",
    "iam_policy",
    "json_api_method",
    "serve_emulator",
    "serve_resource_manager",
    "write_seed",
]

FAULTS = ("denied", "throttled", "unavailable", "stall")
FaultPlan = Callable[[str, str], str | None]
"""Called with (method, path with query string) of each request; returns the fault to answer
with, or None."""

# parent -> (projects, folders); a parent mapped to None answers 403
ProjectTree = Mapping[str, tuple[Sequence[Mapping[str, str]], Sequence[Mapping[str, str]]] | None]


@dataclass
class Traffic:
    """What a served emulator received, counted on the server side."""

    requests: list[str] = field(default_factory=list)  # "GET /storage/v1/b?project=..."
    connections: int = 0  # TCP connections the clients opened
    peak_in_flight: int = 0  # the most requests being answered at once
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def started(self, line: str) -> None:
        with self._lock:
            self.requests.append(line)
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1


def bucket_resource(
    name: str,
    location: str,
    *,
    location_type: str = "region",
    data_locations: Sequence[str] | None = None,
    kms_key: str | None = None,
    pap: str = "inherited",
    ubla: bool = True,
    labels: Mapping[str, str] | None = None,
    acl: Sequence[Mapping[str, str]] = (),
    project_number: str = "1234",
) -> dict[str, Any]:
    """A bucket as ``buckets.list?projection=full`` returns it."""
    res: dict[str, Any] = {
        "kind": "storage#bucket",
        "id": name,
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "projectNumber": project_number,
        "name": name,
        "timeCreated": "2024-04-01T00:00:00.000Z",
        "updated": "2024-04-01T00:00:00.000Z",
        "metageneration": "1",
        "location": location.upper(),
        "locationType": location_type,
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": ubla},
            "uniformBucketLevelAccess": {"enabled": ubla},
            "publicAccessPrevention": pap,
        },
        "rpo": "DEFAULT",
    }
    if data_locations is not None:
        res["customPlacementConfig"] = {"dataLocations": [d.upper() for d in data_locations]}
    if kms_key:
        res["encryption"] = {"defaultKmsKeyName": kms_key}
    if labels:
        res["labels"] = dict(labels)
    if not ubla:  # with uniform access on, the API omits the ACL fields
        owner = {"entity": f"project-owners-{project_number}", "role": "OWNER"}
        res["acl"] = [owner, *[dict(a) for a in acl]]
        res["defaultObjectAcl"] = [owner]
    return res


def iam_policy(*bindings: tuple[str, Sequence[str]], version: int = 1) -> dict[str, Any]:
    """A bucket IAM policy; ``bindings`` are (role, members)."""
    return {
        "version": version,
        "etag": "CAE=",
        "bindings": [{"role": role, "members": list(members)} for role, members in bindings],
    }


def _send_json(handler: BaseHTTPRequestHandler, status: int, body: Mapping[str, Any]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _forbidden(handler: BaseHTTPRequestHandler, what: str) -> None:
    # Cloud Storage's JSON API error shape
    message = f"caller does not have {what} access"
    errors = [{"message": message, "domain": "global", "reason": "forbidden"}]
    _send_json(handler, 403, {"error": {"code": 403, "message": message, "errors": errors}})


# fault -> (HTTP status, Cloud Storage JSON API error, google.rpc error of the v3 REST APIs)
_FAULT_ERRORS: Mapping[str, tuple[int, dict[str, Any], dict[str, Any]]] = {
    "denied": (
        403,
        {
            "message": "caller does not have the permission for this request",
            "errors": [{"domain": "global", "reason": "forbidden"}],
        },
        {"message": "The caller does not have permission", "status": "PERMISSION_DENIED"},
    ),
    "throttled": (
        429,
        {
            "message": "The rate of requests is too high. Please reduce your request rate.",
            "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}],
        },
        {"message": "Quota exceeded for read requests per minute", "status": "RESOURCE_EXHAUSTED"},
    ),
    "unavailable": (
        503,
        {
            "message": "We encountered an internal error. Please try again.",
            "errors": [{"domain": "global", "reason": "backendError"}],
        },
        {"message": "The service is currently unavailable.", "status": "UNAVAILABLE"},
    ),
}


def _answer_fault(
    handler: BaseHTTPRequestHandler,
    fault: str,
    stall: float,
    stopping: threading.Event,
    *,
    rpc: bool = False,
) -> None:
    """Answer with ``fault``, its error body shaped as Cloud Storage's JSON API sends it (or, with
    ``rpc``, as the v3 REST APIs such as Resource Manager do)."""
    if fault == "stall":
        stopping.wait(stall)  # no answer: the client's read timeout fires first
        handler.close_connection = True
        return
    if fault not in _FAULT_ERRORS:
        raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
    status, storage_error, rpc_error = _FAULT_ERRORS[fault]
    error = rpc_error if rpc else storage_error
    _send_json(handler, status, {"error": {"code": status, **error}})


class _Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 drops the connects of a burst beyond it (the client tries
    # again a second later), which would hide how many reads a client keeps in flight.
    request_queue_size = 256


@contextlib.contextmanager
def _serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    # a short poll, so stopping a server takes milliseconds, not half a second
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def write_seed(
    data_dir: Path,
    buckets: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Write the emulator's metadata file so it starts with ``buckets`` exactly as given.

    Every bucket gets an IAM policy (default: empty), because the emulator rewrites its whole
    metadata file when it first returns a default policy.
    """
    policies = dict(policies or {})
    meta = {
        "buckets": {b["name"]: dict(b) for b in buckets},
        "objects": {b["name"]: {} for b in buckets},
        "resumable": {},
        "bucket_iam_policies": {
            b["name"]: dict(policies.get(b["name"], iam_policy())) for b in buckets
        },
        "soft_deleted": {},
    }
    store = Path(data_dir) / ".cloudstorage"
    store.mkdir(parents=True, exist_ok=True)
    (store / ".meta").write_text(json.dumps(meta))


@contextlib.contextmanager
def serve_emulator(
    data_dir: Path,
    buckets: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    deny_iam: Sequence[str] = (),
    deny_list: bool = False,
    faults: FaultPlan | None = None,
    stall: float = 5.0,
    list_page_size: int | None = None,
    unreachable: Sequence[str] = (),
    traffic: Traffic | None = None,
    keep_alive: bool = False,
    hold: float = 0.0,
    copies: CopyEstate | None = None,
    others: Sequence[Mapping[str, Any]] = (),
) -> Iterator[str]:
    """Seed (:func:`write_seed`) and serve gcp-storage-emulator on a free 127.0.0.1 port; yield
    its URL. ``faults`` answers chosen requests with a fault; a stall lasts ``stall`` seconds.

    The emulator returns every bucket in one page (it ignores ``maxResults`` and ``pageToken``);
    with ``list_page_size`` the bucket list is answered here instead, from the same seeded
    resources, ``list_page_size`` a page with ``nextPageToken``, so paging can be tested. So it is
    with ``unreachable``: bucket names the first page lists as unreachable (as Cloud Storage does
    with ``returnPartialSuccess`` when a location is down), without their resources.

    ``traffic`` records every request and connection; ``keep_alive`` answers in HTTP/1.1 and
    keeps each connection open (the emulator's own server closes it after every answer);
    ``hold`` delays every GET answer by that many seconds.

    The three services that copy a bucket (Compute, Storage Transfer, Storage Insights) are
    answered here too, from ``copies`` (default: none of them holds anything), the way
    :mod:`.copies_testing` serves them: the plugin sends them to this endpoint when no endpoint
    of their own is set. ``others``: buckets of other projects, which ``buckets.get`` returns
    (``projection=noAcl``: without ``acl``/``defaultObjectAcl``) and ``buckets.list`` does not.
    """
    from gcp_storage_emulator import server as emu_server  # type: ignore[import-untyped]

    from .copies_testing import CopyEstate, answer_copy_request, is_copy_request

    copy_estate = copies if copies is not None else CopyEstate()
    foreign = {
        str(b["name"]): {k: v for k, v in b.items() if k not in ("acl", "defaultObjectAcl")}
        for b in others
    }

    write_seed(data_dir, buckets, policies)
    denied = {re.escape(n) for n in deny_iam}
    iam_path = re.compile(rf"^/storage/v1/b/({'|'.join(denied)})/iam$") if denied else None
    stopping = threading.Event()

    class Handler(emu_server.RequestHandler):  # type: ignore[misc]
        # every answer is sized (Content-Length), so a connection can carry the next request
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
        disable_nagle_algorithm = keep_alive  # headers and body go out in separate writes
        _counted = False

        def setup(self) -> None:
            super().setup()
            if traffic is not None:
                traffic.connected()

        def parse_request(self) -> bool:
            ok: bool = super().parse_request()
            if ok and traffic is not None:
                traffic.started(f"{self.command} {self.path}")
                self._counted = True
            return ok

        def handle_one_request(self) -> None:
            self._counted = False
            try:
                super().handle_one_request()
            finally:
                if self._counted and traffic is not None:
                    traffic.finished()

        def do_GET(self) -> None:
            if hold:
                stopping.wait(hold)
            path = self.path.split("?", 1)[0]
            if is_copy_request(self.path):
                answer_copy_request(self, copy_estate, faults, stall, stopping)
                return
            fault = faults(self.command, self.path) if faults is not None else None
            if fault is not None:
                _answer_fault(self, fault, stall, stopping)
            elif (list_page_size or unreachable) and path == "/storage/v1/b":
                size = list_page_size or max(len(buckets), 1)
                _send_json(self, 200, _bucket_page(self.path, buckets, size, unreachable))
            elif path.removeprefix("/storage/v1/b/") in foreign:
                _send_json(self, 200, foreign[path.removeprefix("/storage/v1/b/")])
            elif iam_path is not None and iam_path.match(path):
                _forbidden(self, "storage.buckets.getIamPolicy")
            elif deny_list and path == "/storage/v1/b":
                _forbidden(self, "storage.buckets.list")
            else:
                super().do_GET()

    # The emulator's own server answers one request at a time (a stall would hold up every other
    # request), so its request handler and storage are served by a threaded server instead.
    srv = emu_server.create_server("127.0.0.1", 0, in_memory=False, data_dir=str(data_dir))
    with _serving(partial(Handler, srv._storage)) as url:
        try:
            yield url
        finally:
            stopping.set()  # ends every stall before the server stops


def _bucket_page(
    path: str, buckets: Sequence[Mapping[str, Any]], size: int, unreachable: Sequence[str]
) -> dict[str, Any]:
    """One page of ``buckets.list``: ``pageToken`` is the offset of the page."""
    token = int(parse_qs(urlparse(path).query).get("pageToken", ["0"])[0] or 0)
    page: dict[str, Any] = {
        "kind": "storage#buckets",
        "items": [dict(b) for b in buckets[token : token + size]],
    }
    if unreachable and not token:
        page["unreachable"] = [f"projects/_/buckets/{name}" for name in unreachable]
    if token + size < len(buckets):
        page["nextPageToken"] = str(token + size)
    return page


class _ResourceManagerHandler(BaseHTTPRequestHandler):
    tree: ProjectTree
    received: list[tuple[str, str]]
    faults: FaultPlan | None
    stall: float
    stopping: threading.Event

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.received.append(("GET", self.path))
        url = urlparse(self.path)
        fault = self.faults("GET", self.path) if self.faults is not None else None
        if fault is not None:
            _answer_fault(self, fault, self.stall, self.stopping, rpc=True)
            return
        qs = parse_qs(url.query)
        query = qs.get("query", [""])[0]
        token = int(qs.get("pageToken", ["0"])[0] or 0)
        kind = {"/v3/projects:search": "projects", "/v3/folders:search": "folders"}.get(url.path)
        sep = ":" if kind == "projects" else "="
        if kind is None or not query.startswith(f"parent{sep}"):
            _send_json(self, 400, {"error": {"code": 400, "message": f"bad request {self.path}"}})
            return
        parent = query.split(sep, 1)[1]
        node = self.tree.get(parent, ([], []))
        if node is None:
            _answer_fault(self, "denied", self.stall, self.stopping, rpc=True)
            return
        items = [dict(i, parent=parent) for i in node[0 if kind == "projects" else 1]]
        for n, item in enumerate(items):
            if kind == "projects":
                item["name"] = f"projects/{1000 + n}"
        # one item per page, so paging must be followed
        body: dict[str, Any] = {kind: items[token : token + 1]}
        if token + 1 < len(items):
            body["nextPageToken"] = str(token + 1)
        _send_json(self, 200, body)

    def do_POST(self) -> None:  # anything but GET is recorded and refused
        self.received.append(("POST", self.path))
        _send_json(self, 405, {"error": {"code": 405, "message": "read-only fake"}})


@contextlib.contextmanager
def serve_resource_manager(
    tree: ProjectTree, *, faults: FaultPlan | None = None, stall: float = 5.0
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Serve a Cloud Resource Manager v3 fake of ``tree``; yield (URL, the (method, path) list of
    requests it received)."""
    received: list[tuple[str, str]] = []
    stopping = threading.Event()
    attrs = {
        "tree": tree,
        "received": received,
        "faults": staticmethod(faults) if faults is not None else None,
        "stall": stall,
        "stopping": stopping,
    }
    handler = type("Handler", (_ResourceManagerHandler,), attrs)
    with _serving(handler) as url:
        try:
            yield url, received
        finally:
            stopping.set()


def json_api_method(line: str) -> str:
    """A request line (``GET /storage/v1/b?...``) -> the Cloud Storage JSON API method it calls,
    for counting what the emulator received."""
    method, _, target = line.partition(" ")
    path = urlsplit(target).path
    for suffix in ("/backendBuckets", "/transferJobs", "/reportConfigs"):
        if method == "GET" and path.endswith(suffix):
            return f"{suffix[1:]}.list"  # the services that copy a bucket (copies_testing)
    parts = path.removeprefix("/storage/v1/").split("/")
    if method == "GET" and parts == ["b"]:
        return "buckets.list"
    if method == "GET" and len(parts) == 3 and parts[0] == "b" and parts[2] == "iam":
        return "buckets.getIamPolicy"
    if method == "GET" and len(parts) == 2 and parts[0] == "b":
        return "buckets.get"
    return f"other ({method} {'/'.join(parts[:3])})"

"""Test helpers for ``source = "inventory"``: a Cloud Asset Inventory ``assets.list`` stub.

No emulator implements Cloud Asset Inventory, so :func:`serve_asset_inventory` is a local HTTP
stub of ``GET /v1/{parent}/assets`` answering in the published v1 shapes:

* ListAssetsResponse (REST reference, ``v1/TopLevel/list``): ``readTime``, ``assets[]``,
  ``nextPageToken`` (left out on the last page, as proto3 JSON leaves out empty fields);
  ``pageSize`` above 1,000 is INVALID_ARGUMENT, as the reference says.
* Asset: ``name`` (``//storage.googleapis.com/BUCKET``), ``assetType``, ``updateTime``,
  ``ancestors`` (``projects/NUMBER``, folders, ``organizations/N``), and per content type
  ``resource`` {``version``, ``discoveryDocumentUri``, ``discoveryName``, ``parent``
  (``//cloudresourcemanager.googleapis.com/projects/NUMBER``), ``data``, ``location``} or
  ``iamPolicy`` (the IAM Policy resource).
* ``resource.data`` of a bucket as a recorded inventory export renders it (a bucket asset in a
  public policy validator's Go tests, taken from a CAI export): ``projectNumber`` and
  ``metageneration`` as numbers, ``"encryption": {}`` and ``"labels": {}`` when unset, a false
  boolean left out (``"bucketPolicyOnly": {}``), and ``acl``/``defaultObjectAcl`` empty --
  :func:`bucket_asset` turns a JSON API bucket resource (``testing.bucket_resource``) into that.
* Project assets' ``data``: the Resource Manager v1 Project (``projectNumber``, ``projectId``,
  ``lifecycleState``, ``name``, ``parent``).

A parent (``organizations/N``, ``folders/N``, ``projects/ID`` or ``projects/NUMBER``) holds every
asset whose ``ancestors`` name it. Errors use the google.rpc shape of the v1 REST APIs, and the
fault plan of :mod:`.testing` applies.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from .asset_client import BUCKET_TYPE, PROJECT_TYPE
from .testing import FaultPlan, _answer_fault, _send_json, _serving

__all__ = [
    "AssetEstate",
    "bucket_asset",
    "iam_asset",
    "project_asset",
    "serve_asset_inventory",
]

_CRM = "//cloudresourcemanager.googleapis.com"
_FALSE_DROPPED = ("uniformBucketLevelAccess", "bucketPolicyOnly")


def _ancestors(number: str, folders: Sequence[str], organization: str) -> list[str]:
    return [f"projects/{number}", *folders, organization]


def _cai_data(resource: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(resource)
    for key in ("projectNumber", "metageneration"):
        if isinstance(data.get(key), str) and data[key].isdigit():
            data[key] = int(data[key])
    cfg = data.get("iamConfiguration")
    if isinstance(cfg, Mapping):
        cfg = dict(cfg)
        for key in _FALSE_DROPPED:
            value = cfg.get(key)
            if isinstance(value, Mapping) and value.get("enabled") is False:
                cfg[key] = {k: v for k, v in value.items() if k != "enabled"}
        data["iamConfiguration"] = cfg
    data.setdefault("encryption", {})
    data.setdefault("labels", {})
    data["acl"] = []
    data["defaultObjectAcl"] = []
    return data


def bucket_asset(
    resource: Mapping[str, Any],
    number: str,
    *,
    update_time: str = "2026-11-30T08:00:00.000000Z",
    folders: Sequence[str] = (),
    organization: str = "organizations/100",
) -> dict[str, Any]:
    """A Bucket asset (``contentType=RESOURCE``) of a JSON API bucket resource."""
    name = str(resource["name"])
    return {
        "name": f"//storage.googleapis.com/{name}",
        "assetType": BUCKET_TYPE,
        "resource": {
            "version": "v1",
            "discoveryDocumentUri": "https://www.googleapis.com/discovery/v1/apis/storage/v1/rest",
            "discoveryName": "Bucket",
            "parent": f"{_CRM}/projects/{number}",
            "data": _cai_data(resource),
            "location": str(resource.get("location", "")).lower(),
        },
        "ancestors": _ancestors(number, folders, organization),
        "updateTime": update_time,
    }


def iam_asset(
    bucket: str,
    policy: Mapping[str, Any],
    number: str,
    *,
    update_time: str = "2026-11-30T08:00:00.000000Z",
    folders: Sequence[str] = (),
    organization: str = "organizations/100",
) -> dict[str, Any]:
    """A Bucket asset with ``contentType=IAM_POLICY``: ``iamPolicy`` instead of ``resource``."""
    return {
        "name": f"//storage.googleapis.com/{bucket}",
        "assetType": BUCKET_TYPE,
        "iamPolicy": dict(policy),
        "ancestors": _ancestors(number, folders, organization),
        "updateTime": update_time,
    }


def project_asset(
    project_id: str,
    number: str,
    *,
    state: str = "ACTIVE",
    folders: Sequence[str] = (),
    organization: str = "organizations/100",
) -> dict[str, Any]:
    parent = folders[0] if folders else organization
    kind, ident = parent.split("/", 1)
    return {
        "name": f"{_CRM}/projects/{number}",
        "assetType": PROJECT_TYPE,
        "resource": {
            "version": "v1",
            "discoveryDocumentUri": "https://www.googleapis.com/discovery/v1/apis/cloudresourcemanager/v1/rest",
            "discoveryName": "Project",
            "parent": f"{_CRM}/{parent}",
            "data": {
                "projectNumber": number,
                "projectId": project_id,
                "lifecycleState": state,
                "name": project_id,
                "parent": {"type": kind.rstrip("s"), "id": ident},
                "createTime": "2024-01-01T00:00:00Z",
            },
        },
        "ancestors": _ancestors(number, folders, organization),
        "updateTime": "2024-01-01T00:00:00Z",
    }


@dataclass
class AssetEstate:
    """What the stub serves: assets by content type, and project id -> number."""

    resources: list[dict[str, Any]] = field(default_factory=list)  # buckets and projects
    iam_policies: list[dict[str, Any]] = field(default_factory=list)
    project_numbers: dict[str, str] = field(default_factory=dict)
    read_time: str | None = "2026-12-02T09:00:00.000000Z"
    requests: list[str] = field(default_factory=list)  # "GET /v1/organizations/100/assets?..."
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_project(self, project_id: str, number: str, **kw: Any) -> None:
        self.project_numbers[project_id] = number
        self.resources.append(project_asset(project_id, number, **kw))

    def add_bucket(
        self,
        resource: Mapping[str, Any],
        project_id: str,
        policy: Mapping[str, Any] | None,
        **kw: Any,
    ) -> None:
        number = self.project_numbers[project_id]
        self.resources.append(bucket_asset(resource, number, **kw))
        if policy is not None:
            self.iam_policies.append(iam_asset(str(resource["name"]), policy, number, **kw))

    def selected(self, parent: str, asset_type: str, content: str) -> list[dict[str, Any]]:
        kind, _, ident = parent.partition("/")
        if kind == "projects":
            parent = f"projects/{self.project_numbers.get(ident, ident)}"
        pool = self.resources if content == "RESOURCE" else self.iam_policies
        return [
            a for a in pool if a["assetType"] == asset_type and parent in a.get("ancestors", [])
        ]


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str) -> int | None:
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(value) if kind == "offset" else None
    except ValueError:
        return None


def _invalid(handler: BaseHTTPRequestHandler, message: str) -> None:
    error = {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    _send_json(handler, 400, {"error": error})


class _AssetHandler(BaseHTTPRequestHandler):
    estate: AssetEstate
    faults: FaultPlan | None
    stall: float
    stopping: threading.Event
    hold: float

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.estate._lock:
            self.estate.requests.append(f"GET {self.path}")
        if self.hold:
            self.stopping.wait(self.hold)
        fault = self.faults("GET", self.path) if self.faults is not None else None
        if fault is not None:
            _answer_fault(self, fault, self.stall, self.stopping, rpc=True)
            return
        url = urlparse(self.path)
        parts = url.path.split("/")  # "", "v1", kind, id, "assets"
        if len(parts) != 5 or parts[1] != "v1" or parts[4] != "assets":
            _send_json(self, 404, {"error": {"code": 404, "message": "not found"}})
            return
        qs = parse_qs(url.query)
        content = qs.get("contentType", [""])[0]
        types = qs.get("assetTypes", [])
        size = int(qs.get("pageSize", ["100"])[0])
        if content not in ("RESOURCE", "IAM_POLICY") or len(types) != 1:
            _invalid(self, "the stub serves one assetTypes and contentType RESOURCE/IAM_POLICY")
            return
        if not 0 < size <= 1000:
            _invalid(self, "page_size must be between 1 and 1000")
            return
        start = _offset(qs["pageToken"][0]) if "pageToken" in qs else 0
        if start is None:
            _invalid(self, "invalid page token")
            return
        assets = self.estate.selected(f"{parts[2]}/{parts[3]}", types[0], content)
        body: dict[str, Any] = {}
        if self.estate.read_time is not None:
            body["readTime"] = self.estate.read_time
        page = assets[start : start + size]
        if page:
            body["assets"] = page
        if start + size < len(assets):
            body["nextPageToken"] = _token(start + size)
        _send_json(self, 200, body)


@contextlib.contextmanager
def serve_asset_inventory(
    estate: AssetEstate,
    *,
    faults: FaultPlan | None = None,
    stall: float = 5.0,
    hold: float = 0.0,
) -> Iterator[str]:
    """Serve ``estate`` on a free 127.0.0.1 port; yield its URL (``asset_endpoint``).
    ``estate.requests`` records every request; ``hold`` delays every answer."""
    stopping = threading.Event()
    attrs = {
        "estate": estate,
        "faults": staticmethod(faults) if faults is not None else None,
        "stall": stall,
        "stopping": stopping,
        "hold": hold,
    }
    handler = type("Handler", (_AssetHandler,), attrs)
    with _serving(handler) as url:
        try:
            yield url
        finally:
            stopping.set()

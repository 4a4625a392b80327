"""Test helpers: Cloud Storage bucket resources in the JSON API shape and a seeded emulator.

gcp-storage-emulator ignores everything but ``name`` on bucket insert, so buckets are seeded by
writing its metadata file (``<data_dir>/.cloudstorage/.meta``) before it starts; it then returns
the resources exactly as written. Requires the ``test`` extra (gcp-storage-emulator).

The emulator does not enforce IAM, so :func:`serve_emulator` can answer 403 for chosen requests
(an IAM policy read of named buckets, or the whole bucket list) the way Cloud Storage does, while
every other request reaches the unmodified emulator.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

__all__ = ["bucket_resource", "iam_policy", "serve_emulator", "write_seed"]


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


def _forbidden(handler: Any, what: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": 403,
                "message": f"caller does not have {what} access",
                "errors": [{"message": f"caller does not have {what}", "reason": "forbidden"}],
            }
        }
    ).encode()
    handler.send_response(403)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


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
) -> Iterator[str]:
    """Seed (:func:`write_seed`) and start gcp-storage-emulator on a free 127.0.0.1 port; yield
    its URL."""
    from gcp_storage_emulator import server as emu_server  # type: ignore[import-untyped]

    write_seed(data_dir, buckets, policies)
    denied = {re.escape(n) for n in deny_iam}
    iam_path = re.compile(rf"^/storage/v1/b/({'|'.join(denied)})/iam$") if denied else None

    class Handler(emu_server.RequestHandler):  # type: ignore[misc]
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if iam_path is not None and iam_path.match(path):
                _forbidden(self, "storage.buckets.getIamPolicy")
            elif deny_list and path == "/storage/v1/b":
                _forbidden(self, "storage.buckets.list")
            else:
                super().do_GET()

    srv = emu_server.create_server("127.0.0.1", 0, in_memory=False, data_dir=str(data_dir))
    srv.start()
    try:
        httpd = srv._api._httpd
        httpd.RequestHandlerClass = partial(Handler, srv._storage)
        host, port = httpd.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        srv.stop()

"""Fixtures: seeded gcp-storage-emulator instances and a Cloud Resource Manager REST fake.

There is no Resource Manager emulator, so ``resource_manager`` is a small HTTP server that answers
``GET /v3/projects:search`` and ``GET /v3/folders:search`` in the API's JSON shape (with paging
and a 403 for one folder); the real ``google-cloud-resource-manager`` REST client talks to it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from residency_audit_gcp.testing import serve_emulator

EmulatorFactory = Callable[..., str]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """Start a seeded emulator: ``emulator(buckets, policies=None, deny_iam=(), deny_list=False)``.

    Each call is a separate emulator (one per project: the emulator does not scope by project).
    """
    with ExitStack() as stack:
        count = 0

        def start(
            buckets: Sequence[Mapping[str, Any]],
            policies: Mapping[str, Mapping[str, Any]] | None = None,
            **kw: Any,
        ) -> str:
            nonlocal count
            count += 1
            cm: AbstractContextManager[str] = serve_emulator(
                tmp_path / f"emu{count}", buckets, policies, **kw
            )
            return stack.enter_context(cm)

        yield start


# parent -> (projects, folders); a parent mapped to None answers 403
RM_TREE: dict[str, tuple[list[dict[str, str]], list[dict[str, str]]] | None] = {
    "organizations/100": (
        [
            {"projectId": "proj-alpha", "displayName": "Alpha", "state": "ACTIVE"},
            {"projectId": "proj-gone", "displayName": "Gone", "state": "DELETE_REQUESTED"},
        ],
        [{"name": "folders/200", "state": "ACTIVE"}, {"name": "folders/300", "state": "ACTIVE"}],
    ),
    "folders/200": (
        [
            {"projectId": "proj-beta", "displayName": "Beta", "state": "ACTIVE"},
            {"projectId": "proj-gamma", "displayName": "Gamma", "state": "ACTIVE"},
        ],
        [{"name": "folders/210", "state": "ACTIVE"}],
    ),
    "folders/210": ([{"projectId": "proj-delta", "displayName": "", "state": "ACTIVE"}], []),
    "folders/300": None,
}


class _RmHandler(BaseHTTPRequestHandler):
    requests: list[tuple[str, str]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path))
        url = urlparse(self.path)
        qs = parse_qs(url.query)
        query = qs.get("query", [""])[0]
        token = int(qs.get("pageToken", ["0"])[0] or 0)
        kind = {"/v3/projects:search": "projects", "/v3/folders:search": "folders"}.get(url.path)
        sep = ":" if kind == "projects" else "="
        if kind is None or not query.startswith(f"parent{sep}"):
            self._send(400, {"error": {"code": 400, "message": f"bad request {self.path}"}})
            return
        parent = query.split(sep, 1)[1]
        node = RM_TREE.get(parent, ([], []))
        if node is None:
            self._send(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Permission denied",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
            return
        items = [dict(i, parent=parent) for i in node[0 if kind == "projects" else 1]]
        for n, item in enumerate(items):
            if kind == "projects":
                item["name"] = f"projects/{1000 + n}"
        # one item per page, so paging must be followed
        body: dict[str, Any] = {kind: items[token : token + 1]}
        if token + 1 < len(items):
            body["nextPageToken"] = str(token + 1)
        self._send(200, body)

    def do_POST(self) -> None:  # anything but GET is recorded and refused
        self.requests.append(("POST", self.path))
        self._send(405, {"error": {"code": 405, "message": "read-only fake"}})


@pytest.fixture
def resource_manager() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(endpoint URL, list of (method, path) the fake received)."""
    received: list[tuple[str, str]] = []
    handler = type("Handler", (_RmHandler,), {"requests": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}", received
    finally:
        httpd.shutdown()
        httpd.server_close()

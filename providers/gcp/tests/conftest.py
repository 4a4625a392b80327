"""Fixtures: seeded gcp-storage-emulator instances and a Cloud Resource Manager REST fake.

There is no Resource Manager emulator, so ``resource_manager`` is a small HTTP server
(``residency_audit_gcp.testing.serve_resource_manager``) that answers ``GET /v3/projects:search``
and ``GET /v3/folders:search`` in the API's JSON shape (with paging and a 403 for one folder); the
real ``google-cloud-resource-manager`` REST client talks to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import pytest

from residency_audit_gcp.testing import ProjectTree, serve_emulator, serve_resource_manager

EmulatorFactory = Callable[..., str]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """Start a seeded emulator: ``emulator(buckets, policies=None, **kw)`` with the keywords of
    ``serve_emulator`` (``deny_iam``, ``deny_list``, ``faults``, ``list_page_size``,
    ``unreachable``).

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
RM_TREE: ProjectTree = {
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


@pytest.fixture
def resource_manager() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(endpoint URL, list of (method, path) the fake received)."""
    with serve_resource_manager(RM_TREE) as served:
        yield served

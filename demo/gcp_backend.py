"""Demo backend for GCP: one gcp-storage-emulator per demo project, seeded from the fixture.

Seed: fixtures/demo/gcp.json. The emulator does not scope buckets by project, so each project
gets its own emulator and the plugin is pointed at them with ``project_endpoints``. Bucket
resources are seeded through the emulator's metadata file (its insert ignores locations); see
residency_audit_gcp.testing.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

from residency_audit_gcp.testing import serve_emulator

SEED = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "gcp.json"


def load_seed(path: pathlib.Path = SEED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def serve(workdir: pathlib.Path) -> Iterator[dict[str, Any]]:
    """Start the emulators on free 127.0.0.1 ports, seed the GCS part of the demo estate, yield the
    ``[providers.gcp]`` settings table that points the plugin at them, stop everything on exit."""
    projects: dict[str, Any] = load_seed()["projects"]
    with contextlib.ExitStack() as stack:
        endpoints: dict[str, str] = {}
        for project, seed in projects.items():
            endpoints[project] = stack.enter_context(
                serve_emulator(
                    pathlib.Path(workdir) / project,
                    seed["buckets"],
                    seed.get("iam_policies", {}),
                    deny_iam=seed.get("deny_iam", ()),
                )
            )
        yield {"projects": list(projects), "project_endpoints": endpoints}

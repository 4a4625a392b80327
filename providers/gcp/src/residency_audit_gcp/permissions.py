"""The IAM permissions the plugin uses, derived from the requests it sends.

``REQUESTS`` maps every HTTP request the plugin can make to the permissions it needs; the custom
role is built from that table (a test records a full scan and checks both directions).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PERMISSIONS", "REQUESTS", "custom_role", "permissions_for", "request_name"]

# (request name, method, path pattern, permissions); the name is the API method, and the key of
# the request's row in ``reads.READS``
REQUESTS: tuple[tuple[str, str, re.Pattern[str], tuple[str, ...]], ...] = (
    # buckets.list with projection=full: acl/defaultObjectAcl are returned only with getIamPolicy
    (
        "storage.buckets.list",
        "GET",
        re.compile(r"/storage/v1/b"),
        ("storage.buckets.list", "storage.buckets.getIamPolicy"),
    ),
    (
        "storage.buckets.getIamPolicy",
        "GET",
        re.compile(r"/storage/v1/b/[^/]+/iam"),
        ("storage.buckets.getIamPolicy",),
    ),
    (
        "resourcemanager.projects.search",
        "GET",
        re.compile(r"/v3/projects:search"),
        ("resourcemanager.projects.get",),
    ),
    (
        "resourcemanager.folders.search",
        "GET",
        re.compile(r"/v3/folders:search"),
        ("resourcemanager.folders.get",),
    ),
)

PERMISSIONS: tuple[str, ...] = tuple(sorted({p for *_, perms in REQUESTS for p in perms}))


def _row(method: str, path: str) -> tuple[str, str, re.Pattern[str], tuple[str, ...]] | None:
    for row in REQUESTS:
        if row[1] == method.upper() and row[2].fullmatch(path):
            return row
    return None


def request_name(method: str, path: str) -> str | None:
    """The API method one HTTP request calls; None for a request the plugin should never send."""
    row = _row(method, path)
    return row[0] if row else None


def permissions_for(method: str, path: str) -> tuple[str, ...] | None:
    """The permissions one request needs; None for a request the plugin should never send."""
    row = _row(method, path)
    return row[3] if row else None


def custom_role() -> dict[str, Any]:
    """A custom IAM role (``gcloud iam roles create --file``) with exactly these permissions.

    Create it at the organization level when scanning an organization or folder (folder
    permissions cannot be granted by a project-level role).
    """
    return {
        "title": "residency-audit reader",
        "description": (
            "Read-only: lists Cloud Storage buckets with their location, encryption and access "
            "settings, reads bucket IAM policies, and finds projects under an organization or "
            "folder. Grants no object read and no write."
        ),
        "stage": "GA",
        "includedPermissions": list(PERMISSIONS),
    }

"""The IAM permissions the plugin uses, derived from the requests it sends.

``REQUESTS`` maps every HTTP request the plugin can make to the permissions it needs; the custom
role is built from that table (a test records a full scan and checks both directions).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PERMISSIONS", "REQUESTS", "custom_role", "permissions_for"]

# (method, path pattern, permissions)
REQUESTS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    # buckets.list with projection=full: acl/defaultObjectAcl are returned only with getIamPolicy
    (
        "GET",
        re.compile(r"/storage/v1/b"),
        ("storage.buckets.list", "storage.buckets.getIamPolicy"),
    ),
    ("GET", re.compile(r"/storage/v1/b/[^/]+/iam"), ("storage.buckets.getIamPolicy",)),
    ("GET", re.compile(r"/v3/projects:search"), ("resourcemanager.projects.get",)),
    ("GET", re.compile(r"/v3/folders:search"), ("resourcemanager.folders.get",)),
)

PERMISSIONS: tuple[str, ...] = tuple(sorted({p for _, _, perms in REQUESTS for p in perms}))


def permissions_for(method: str, path: str) -> tuple[str, ...] | None:
    """The permissions one request needs; None for a request the plugin should never send."""
    for m, pattern, perms in REQUESTS:
        if m == method.upper() and pattern.fullmatch(path):
            return perms
    return None


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

"""The IAM permissions the plugin uses, derived from the requests it sends.

``REQUESTS`` maps every HTTP request the plugin can make to the permissions it needs; the custom
role is built from that table (a test records a full scan and checks both directions). A scan
with ``source = "inventory"`` needs a different set (:data:`INVENTORY_PERMISSIONS`): Cloud Asset
Inventory's two list permissions, and the two Cloud Storage reads its live fallback makes -- but
no project or folder search, since the projects come from the inventory.
"""

from __future__ import annotations

import json
import re
from typing import Any

from residency_audit import __version__
from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest

__all__ = [
    "DEFAULT_ROLE_ID",
    "INVENTORY_PERMISSIONS",
    "PERMISSIONS",
    "REQUESTS",
    "custom_role",
    "gcloud_role_file",
    "permission_document",
    "permissions_for",
    "request_name",
]

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
    # a destination bucket's location (its resource without ACLs)
    (
        "storage.buckets.get",
        "GET",
        re.compile(r"/storage/v1/b/[^/]+"),
        ("storage.buckets.get",),
    ),
    # the services that copy a bucket's data elsewhere (copies_client.py); Cloud CDN backend
    # buckets are global resources of Compute Engine
    (
        "compute.backendBuckets.list",
        "GET",
        re.compile(r"/compute/v1/projects/[^/]+/global/backendBuckets"),
        ("compute.backendBuckets.list",),
    ),
    (
        "storagetransfer.transferJobs.list",
        "GET",
        re.compile(r"/v1/transferJobs"),
        ("storagetransfer.jobs.list",),
    ),
    (
        "storageinsights.reportConfigs.list",
        "GET",
        re.compile(r"/v1/projects/[^/]+/locations/[^/]+/reportConfigs"),
        ("storageinsights.reportConfigs.list",),
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
    # Cloud Asset Inventory assets.list: contentType=RESOURCE needs listResource, IAM_POLICY
    # listIamPolicy (https://cloud.google.com/asset-inventory/docs/access-control); both are
    # the same path, told apart only by the query, so the row grants both
    (
        "cloudasset.assets.list",
        "GET",
        re.compile(r"/v1/(?:organizations|folders|projects)/[^/]+/assets"),
        ("cloudasset.assets.listResource", "cloudasset.assets.listIamPolicy"),
    ),
)
# the reads each source makes (the inventory source falls back to the two Cloud Storage reads)
# the services that copy a bucket are read live by both sources (README: "Copies made around
# a bucket")
_COPIES = (
    "storage.buckets.get",
    "compute.backendBuckets.list",
    "storagetransfer.transferJobs.list",
    "storageinsights.reportConfigs.list",
)
_LIVE = (
    "storage.buckets.list",
    "storage.buckets.getIamPolicy",
    "resourcemanager.projects.search",
    "resourcemanager.folders.search",
    *_COPIES,
)
_INVENTORY = (
    "cloudasset.assets.list",
    "storage.buckets.list",
    "storage.buckets.getIamPolicy",
    *_COPIES,
)


def _permissions(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({p for name, *_, perms in REQUESTS if name in names for p in perms}))


PERMISSIONS: tuple[str, ...] = _permissions(_LIVE)
INVENTORY_PERMISSIONS: tuple[str, ...] = _permissions(_INVENTORY)


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


def custom_role(inventory: bool = False) -> dict[str, Any]:
    """A custom IAM role (``gcloud iam roles create --file``) with exactly these permissions
    (``inventory``: those of ``source = "inventory"``).

    Create it at the organization level when scanning an organization or folder (folder
    permissions cannot be granted by a project-level role).
    """
    if inventory:
        description = (
            "Read-only: lists bucket configurations and IAM policies from Cloud Asset Inventory "
            "(what it lacks from Cloud Storage), and the CDN backend buckets, transfer jobs and "
            "inventory reports that copy them. Grants no object read and no write."
        )
    else:
        description = (
            "Read-only: lists Cloud Storage buckets (location, encryption, access), their IAM "
            "policies, the CDN backend buckets, transfer jobs and inventory reports that copy "
            "them, and the projects of an organization. Grants no object read and no write."
        )
    return {
        "title": "residency-audit reader",
        "description": description,
        "stage": "GA",
        "includedPermissions": list(INVENTORY_PERMISSIONS if inventory else PERMISSIONS),
    }


DEFAULT_ROLE_ID = "residencyAuditReader"
# IAM's roleId: letters, digits, underscores and periods, 3-64 characters
_ROLE_ID = re.compile(r"^[A-Za-z0-9_.]{3,64}$")


def gcloud_role_file(
    role_id: str, organization: str | None, generator: str, inventory: bool = False
) -> str:
    """The custom role as the YAML ``gcloud iam roles create ROLE_ID --file`` reads (the IAM
    Role resource's title, description, stage and includedPermissions), with the commands that
    create and grant it as comments on top. ``organization``: ``organizations/N``, when known.

    Every value is written as a JSON string, which is a YAML double-quoted scalar: nothing in it
    can end the line or start a key.
    """
    if not _ROLE_ID.match(role_id):
        raise InputError(
            "must be a role id: 3-64 letters, digits, underscores or periods", key="--role-name"
        )
    org = organization.removeprefix("organizations/") if organization else "ORGANIZATION_ID"
    role = custom_role(inventory)
    lines = [
        f"# {generator}: the read-only custom role the scanner needs. Create it at the",
        "# organization (folder and project search need an organization-level role), then",
        "# grant it to the identity that scans:",
        f"#   gcloud iam roles create {role_id} --organization={org} --file=role.yaml",
        f"#   gcloud organizations add-iam-policy-binding {org} \\",
        f"#     --member=serviceAccount:SCANNER_EMAIL --role=organizations/{org}/roles/{role_id}",
        f"title: {json.dumps(role['title'])}",
        f"description: {json.dumps(role['description'])}",
        f"stage: {json.dumps(role['stage'])}",
        "includedPermissions:",
        *(f"  - {json.dumps(p)}" for p in role["includedPermissions"]),
    ]
    return "\n".join(lines) + "\n"


def permission_document(
    request: PermissionRequest, organization: str | None, inventory: bool = False
) -> str:
    """What `residency-audit permissions gcp` prints: the custom role as JSON, or with
    ``--format gcloud`` as the YAML role file (``--role-name``: its role id); ``inventory``:
    the role of ``source = "inventory"``."""
    if request.format == "gcloud":
        generator = f"residency-audit {__version__}"
        role_id = request.role_name or DEFAULT_ROLE_ID
        return gcloud_role_file(role_id, organization, generator, inventory)
    if request.role_name is not None:
        raise InputError(
            "the role id is for the gcloud command: add --format gcloud", key="--role-name"
        )
    return json.dumps(custom_role(inventory), indent=2, ensure_ascii=False) + "\n"

"""The Azure RBAC actions the plugin needs, derived from the requests it makes.

``REQUEST_ACTIONS`` maps each ARM request path the client sends to its read (the operation name
``reads.READS`` is keyed by) and its action; the custom role definition is built from that table,
and the tests check every request of a full scan against it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["ACTIONS", "REQUEST_ACTIONS", "action_for", "read_for", "role_definition"]

_SEG = r"[^/]+"
# (read, method, path pattern, action). Paths are as sent, without the query string.
REQUEST_ACTIONS: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    (
        "subscriptions.list",
        "GET",
        re.compile(r"^/subscriptions/?$", re.I),
        "Microsoft.Resources/subscriptions/read",
    ),
    (
        "storageAccounts.list",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/providers/Microsoft\.Storage/storageAccounts$", re.I),
        "Microsoft.Storage/storageAccounts/read",
    ),
    (
        "storageAccounts.getProperties",
        "GET",
        re.compile(
            rf"^/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/Microsoft\.Storage/"
            rf"storageAccounts/{_SEG}$",
            re.I,
        ),
        "Microsoft.Storage/storageAccounts/read",
    ),
    (
        "blobContainers.list",
        "GET",
        re.compile(
            rf"^/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/Microsoft\.Storage/"
            rf"storageAccounts/{_SEG}/blobServices/default/containers$",
            re.I,
        ),
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
    ),
    (
        "objectReplicationPolicies.list",
        "GET",
        re.compile(
            rf"^/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/Microsoft\.Storage/"
            rf"storageAccounts/{_SEG}/objectReplicationPolicies$",
            re.I,
        ),
        "Microsoft.Storage/storageAccounts/objectReplicationPolicies/read",
    ),
    (
        "vaults.listBySubscription",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/providers/Microsoft\.KeyVault/vaults$", re.I),
        "Microsoft.KeyVault/vaults/read",
    ),
    (
        "managedHsms.listBySubscription",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/providers/Microsoft\.KeyVault/managedHSMs$", re.I),
        "Microsoft.KeyVault/managedHSMs/read",
    ),
    (
        "mhsmRegions.listByResource",
        "GET",
        re.compile(
            rf"^/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/Microsoft\.KeyVault/"
            rf"managedHSMs/{_SEG}/regions$",
            re.I,
        ),
        "Microsoft.KeyVault/managedHSMs/read",
    ),
    (
        "subscriptions.listLocations",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/locations$", re.I),
        "Microsoft.Resources/subscriptions/locations/read",
    ),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(action for *_, action in REQUEST_ACTIONS))


def _entry(method: str, path: str) -> tuple[str, str, re.Pattern[str], str] | None:
    for entry in REQUEST_ACTIONS:
        if method.upper() == entry[1] and entry[2].match(path.rstrip("/") or "/"):
            return entry
    return None


def action_for(method: str, path: str) -> str | None:
    """The RBAC action an ARM request needs, or None if the plugin never sends such a request."""
    entry = _entry(method, path)
    return None if entry is None else entry[3]


def read_for(method: str, path: str) -> str | None:
    """The read (``reads.READS`` key) an ARM request belongs to, or None if not one of ours."""
    entry = _entry(method, path)
    return None if entry is None else entry[0]


def role_definition(subscriptions: Sequence[str]) -> dict[str, Any]:
    """A custom role for ``az role definition create --role-definition @file.json``.

    No DataActions: the optional ``verify_anonymous`` check sends no credential at all, and the
    connection-string mode authenticates with the account key, not RBAC.
    """
    scopes = [f"/subscriptions/{s}" for s in subscriptions] or ["/subscriptions/<subscription-id>"]
    return {
        "Name": "residency-audit reader",
        "IsCustom": True,
        "Description": (
            "Read-only: lists subscriptions and their locations, storage accounts, blob "
            "containers, object replication policies, key vaults and Managed HSM pools so "
            "residency-audit can locate every copy."
        ),
        "Actions": list(ACTIONS),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": scopes,
    }

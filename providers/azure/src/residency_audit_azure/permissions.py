"""The Azure RBAC actions the plugin needs, derived from the requests it makes.

``REQUEST_ACTIONS`` maps each ARM request path the client sends to its read (the operation name
``reads.READS`` is keyed by) and its action; the custom role definition is built from that table,
and the tests check every request of a full scan against it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest

__all__ = [
    "ACTIONS",
    "DEFAULT_ROLE_NAME",
    "INVENTORY_ACTIONS",
    "REQUEST_ACTIONS",
    "action_for",
    "actions",
    "assignable_scopes",
    "permission_document",
    "read_for",
    "role_definition",
]

_SEG = r"[^/]+"
_GROUP = rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}"
_ACCOUNT = rf"{_GROUP}/providers/Microsoft\.Storage/storageAccounts/{_SEG}"
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
        "cdnProfiles.list",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/providers/Microsoft\.Cdn/profiles$", re.I),
        "Microsoft.Cdn/profiles/read",
    ),
    (
        "afdOriginGroups.listByProfile",
        "GET",
        re.compile(rf"^{_GROUP}/providers/Microsoft\.Cdn/profiles/{_SEG}/originGroups$", re.I),
        "Microsoft.Cdn/profiles/originGroups/read",
    ),
    (
        "afdOrigins.listByOriginGroup",
        "GET",
        re.compile(
            rf"^{_GROUP}/providers/Microsoft\.Cdn/profiles/{_SEG}/originGroups/{_SEG}/origins$",
            re.I,
        ),
        "Microsoft.Cdn/profiles/originGroups/origins/read",
    ),
    (
        "cdnEndpoints.listByProfile",
        "GET",
        re.compile(rf"^{_GROUP}/providers/Microsoft\.Cdn/profiles/{_SEG}/endpoints$", re.I),
        "Microsoft.Cdn/profiles/endpoints/read",
    ),
    (
        "frontDoors.list",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/providers/Microsoft\.Network/frontDoors$", re.I),
        "Microsoft.Network/frontDoors/read",
    ),
    (
        "diagnosticSettings.list",
        "GET",
        re.compile(
            rf"^{_ACCOUNT}/blobServices/default/providers/Microsoft\.Insights/diagnosticSettings$",
            re.I,
        ),
        "Microsoft.Insights/diagnosticSettings/read",
    ),
    (
        "workspaces.get",
        "GET",
        re.compile(rf"^{_GROUP}/providers/Microsoft\.OperationalInsights/workspaces/{_SEG}$", re.I),
        "Microsoft.OperationalInsights/workspaces/read",
    ),
    (
        "eventHubNamespaces.get",
        "GET",
        re.compile(rf"^{_GROUP}/providers/Microsoft\.EventHub/namespaces/{_SEG}$", re.I),
        "Microsoft.EventHub/namespaces/read",
    ),
    (
        "blobInventoryPolicies.get",
        "GET",
        re.compile(rf"^{_ACCOUNT}/inventoryPolicies/default$", re.I),
        "Microsoft.Storage/storageAccounts/inventoryPolicies/read",
    ),
    (
        "backupVaults.list",
        "GET",
        re.compile(
            rf"^/subscriptions/{_SEG}/providers/Microsoft\.DataProtection/backupVaults$", re.I
        ),
        "Microsoft.DataProtection/backupVaults/read",
    ),
    (
        "backupInstances.list",
        "GET",
        re.compile(
            rf"^{_GROUP}/providers/Microsoft\.DataProtection/backupVaults/{_SEG}/backupInstances$",
            re.I,
        ),
        "Microsoft.DataProtection/backupVaults/backupInstances/read",
    ),
    (
        "backupPolicies.list",
        "GET",
        re.compile(
            rf"^{_GROUP}/providers/Microsoft\.DataProtection/backupVaults/{_SEG}/backupPolicies$",
            re.I,
        ),
        "Microsoft.DataProtection/backupVaults/backupPolicies/read",
    ),
    (
        "subscriptions.listLocations",
        "GET",
        re.compile(rf"^/subscriptions/{_SEG}/locations$", re.I),
        "Microsoft.Resources/subscriptions/locations/read",
    ),
    # source = "inventory": Resource Graph's query is a POST that only reads (client.READ_POSTS)
    (
        "resources.query",
        "POST",
        re.compile(r"^/providers/Microsoft\.ResourceGraph/resources$", re.I),
        "Microsoft.ResourceGraph/resources/read",
    ),
)
# the reads only an inventory-source scan sends
INVENTORY_READS = frozenset({"resources.query"})

ACTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(action for read, *_, action in REQUEST_ACTIONS if read not in INVENTORY_READS)
)
# source = "inventory": Resource Graph, plus every live read (the fallback, verify_sample);
# Resource Graph only returns the resources the identity may read, so those actions stay
INVENTORY_ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(action for *_, action in REQUEST_ACTIONS))


def actions(source: str = "live") -> tuple[str, ...]:
    return INVENTORY_ACTIONS if source == "inventory" else ACTIONS


DEFAULT_ROLE_NAME = "residency-audit reader"


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


def role_definition(
    subscriptions: Sequence[str],
    *,
    name: str | None = None,
    scopes: Sequence[str] = (),
    source: str = "live",
) -> dict[str, Any]:
    """A custom role for ``az role definition create --role-definition @file.json``.

    No DataActions: the optional ``verify_anonymous`` check sends no credential at all, and the
    connection-string mode authenticates with the account key, not RBAC.
    """
    scopes = list(scopes) or [f"/subscriptions/{s}" for s in subscriptions]
    # the library's bare policy (Provider.permission_policy) keeps a placeholder; the
    # `permissions azure` command never prints one (permission_document)
    scopes = scopes or ["/subscriptions/<subscription-id>"]
    return {
        "Name": name or DEFAULT_ROLE_NAME,
        "IsCustom": True,
        "Description": (
            "Read-only: lists subscriptions and their locations, storage accounts, blob "
            "containers, object replication and blob inventory policies, diagnostic settings "
            "and their destinations, Front Door and CDN origins, Backup vaults, key vaults and "
            "Managed HSM pools so residency-audit can locate every copy."
        ),
        "Actions": list(actions(source)),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": scopes,
    }


# a subscription id is a GUID; a management group id is up to 90 of these characters, not ending
# with a period (Azure's naming rules)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_MANAGEMENT_GROUP = re.compile(r"^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def assignable_scopes(
    subscriptions: Sequence[str],
    management_groups: Sequence[str],
    *,
    subscriptions_from: str = "--subscription",
) -> list[str]:
    """The role's AssignableScopes: each subscription, then the management group. InputError
    for an id that is not one, naming where it came from (``subscriptions_from``)."""
    for sub in subscriptions:
        if not _GUID.match(sub):
            raise InputError(f"{sub!r} is not a subscription id (a GUID)", key=subscriptions_from)
    for group in management_groups:
        if not _MANAGEMENT_GROUP.match(group):
            raise InputError(f"{group!r} is not a management group id", key="--management-group")
    if len(management_groups) > 1:
        # Azure: a custom role's AssignableScopes may hold only one management group
        raise InputError("a custom role can name only one", key="--management-group")
    return [
        *(f"/subscriptions/{s}" for s in dict.fromkeys(s.lower() for s in subscriptions)),
        *(f"/providers/Microsoft.Management/managementGroups/{g}" for g in management_groups),
    ]


def permission_document(
    request: PermissionRequest,
    configured: Sequence[str],
    source: str = "live",
    management_group: str | None = None,
) -> str:
    """What `residency-audit permissions azure` prints: the role definition for ``az role
    definition create --role-definition @FILE``, assignable in the subscriptions and management
    group asked for, else in the ``configured`` subscriptions (the scan config's). Never a
    placeholder: with neither, InputError naming the options."""
    if request.role_name is not None and (
        not request.role_name.strip() or _CONTROL.search(request.role_name)
    ):
        raise InputError("must be a role name on one line", key="--role-name")
    if request.subscriptions or request.management_groups:
        scopes = assignable_scopes(request.subscriptions, request.management_groups)
    elif configured:
        scopes = assignable_scopes(
            configured, (), subscriptions_from="providers.azure.subscriptions"
        )
    elif management_group is not None:  # the config's Resource Graph scope
        scopes = assignable_scopes((), (management_group,))
    else:
        raise InputError(
            "the role definition needs the scopes it can be assigned in: give --subscription ID "
            "(repeatable) or --management-group NAME, or --config with [providers.azure] "
            "subscriptions"
        )
    role = role_definition((), name=request.role_name, scopes=scopes, source=source)
    return json.dumps(role, indent=2, ensure_ascii=False) + "\n"

"""Azure Resource Manager ids, parsed in one place with azure-mgmt-core's own parser.

``/subscriptions/S/resourceGroups/G/providers/Microsoft.Storage/storageAccounts/N``: ARM compares
ids case-insensitively, and APIs hand them back in either case (Resource Graph in lower case,
Event Grid in upper), so the kinds are matched without case; the parts are kept as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from azure.mgmt.core.tools import parse_resource_id

__all__ = ["ResourceId", "last_name", "of_type", "subscription_of"]


@dataclass(frozen=True)
class ResourceId:
    subscription: str
    resource_group: str
    namespace: str  # Microsoft.Storage
    type: str  # storageAccounts
    name: str


def _parts(resource_id: str) -> dict[str, str]:
    # the parser wants the leading "/" (some APIs leave it out) and no trailing one; its
    # answer also counts child levels (ints): only the names are kept
    found = parse_resource_id("/" + resource_id.strip().strip("/"))
    return {k: v for k, v in found.items() if isinstance(v, str)}


def of_type(resource_id: str, namespace: str, kind: str) -> ResourceId | None:
    """The id's parts when it names a top-level resource of ``namespace/kind`` (no child
    resource after it), else None."""
    parts = _parts(resource_id)
    if (
        parts.get("namespace", "").lower() != namespace.lower()
        or parts.get("type", "").lower() != kind.lower()
        or parts.get("children", "").strip("/")
        or not parts.get("subscription")
        or not parts.get("resource_group")
        or not parts.get("name")
    ):
        return None
    return ResourceId(
        subscription=parts["subscription"],
        resource_group=parts["resource_group"],
        namespace=parts["namespace"],
        type=parts["type"],
        name=parts["name"],
    )


def subscription_of(resource_id: str) -> str | None:
    """The subscription an id (or an ARM request path) is under, else None."""
    return _parts(resource_id.split("?", 1)[0]).get("subscription") or None


def last_name(resource_id: str) -> str:
    """The name of the resource an id ends with (a child's, where it names one); a bare name
    (object replication may name the destination account by name alone) is itself."""
    parts = _parts(resource_id)
    if not parts.get("subscription"):
        return resource_id.strip().strip("/").rsplit("/", 1)[-1]
    return parts.get("resource_name") or parts.get("name") or resource_id.strip("/")

"""Pure: where an account's logs and inventory reports go (API-shaped JSON -> ``Role.METADATA``
locations). Both carry object names and metadata, not contents.

Diagnostic settings of the blob service send its resource logs (StorageRead, StorageWrite,
StorageDelete: every request with the object's name) to a storage account, a Log Analytics
workspace, an Event Hubs namespace or a Marketplace partner. The destination's region is read,
never assumed: a destination that cannot be read is a location of unknown region.

A blob inventory rule writes its report to a container of the same account (``destination`` is a
container name; the API has no field for another account), so the report is where the account is:
its primary region and, for a geo-redundant account, its secondary too (derived).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from residency_audit.model import Evidence, Location, Role

from .resource_ids import last_name

__all__ = [
    "DIAGNOSTIC",
    "INVENTORY",
    "LogDestination",
    "diagnostic_location",
    "event_hub_namespace",
    "inventory_locations",
    "inventory_rules",
    "log_destinations",
    "rule_covers",
]

DIAGNOSTIC = "azure-diagnostic-settings"
INVENTORY = "azure-blob-inventory"


def _props(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    props = obj.get("properties")
    return props if isinstance(props, Mapping) else {}


@dataclass(frozen=True)
class LogDestination:
    kind: str  # "storage" | "workspace" | "event-hub" | "partner"
    resource_id: str  # as the setting gives it (for an Event Hub: the namespace)
    setting: str

    @property
    def name(self) -> str:
        return last_name(self.resource_id)


def _logs_enabled(props: Mapping[str, Any]) -> bool:
    """Any log category (or category group) enabled; metrics carry no object names."""
    logs = props.get("logs")
    return isinstance(logs, list) and any(
        isinstance(entry, Mapping) and entry.get("enabled") is True for entry in logs
    )


def event_hub_namespace(rule_id: str) -> str:
    """``.../namespaces/NS/authorizationRules/RULE`` -> ``.../namespaces/NS``."""
    lower = rule_id.lower()
    cut = lower.find("/authorizationrules/")
    return rule_id[:cut] if cut >= 0 else rule_id


def log_destinations(settings: Sequence[Mapping[str, Any]]) -> list[LogDestination]:
    """Every destination of a setting that sends at least one log category."""
    found: list[LogDestination] = []
    for setting in settings:
        props = _props(setting)
        if not _logs_enabled(props):
            continue
        name = str(setting.get("name") or "")
        for field, kind in (
            ("storageAccountId", "storage"),
            ("workspaceId", "workspace"),
            ("eventHubAuthorizationRuleId", "event-hub"),
            ("marketplacePartnerId", "partner"),
        ):
            value = props.get(field)
            if not value:
                continue
            resource = event_hub_namespace(str(value)) if kind == "event-hub" else str(value)
            found.append(LogDestination(kind, resource, name))
    return found


def diagnostic_location(
    destination: LogDestination,
    region: str | None,
    *,
    reason: str | None = None,
    why: Evidence | None = None,
) -> Location:
    return Location(
        role=Role.METADATA,
        provider="azure",
        region=region or None,
        mechanism=DIAGNOSTIC,
        target=destination.name,
        unknown_reason=None if region else (reason or "the destination's region is not known"),
        why=None if region else why,
    )


def inventory_rules(policy: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The enabled rules of an enabled inventory policy."""
    if not policy:
        return []
    body = _props(policy).get("policy")
    if not isinstance(body, Mapping) or body.get("enabled") is False:
        return []
    return [
        rule
        for rule in body.get("rules") or []
        if isinstance(rule, Mapping) and rule.get("enabled") is not False
    ]


def rule_covers(rule: Mapping[str, Any], container: str) -> bool:
    """Whether the rule's report lists ``container``'s blobs (or the container itself).

    ``prefixMatch`` entries are matched against ``container/blob`` paths, so ``con`` covers
    ``contoso``; a container inventory (objectType Container) lists every container."""
    definition = rule.get("definition")
    if not isinstance(definition, Mapping):
        return True
    if str(definition.get("objectType") or "").lower() == "container":
        return True
    filters = definition.get("filters")
    prefixes = filters.get("prefixMatch") if isinstance(filters, Mapping) else None
    if not isinstance(prefixes, list) or not prefixes:
        return True
    path = f"{container}/"
    return any(path.startswith(str(p)) or str(p).startswith(path) for p in prefixes)


def inventory_locations(
    account: Mapping[str, Any], rule: Mapping[str, Any], account_locations: Sequence[Location]
) -> list[Location]:
    """The report's copies: one at each primary and geo-secondary location of the account."""
    target = f"{account.get('name')}/{rule.get('destination') or '?'}"
    return [
        loc.model_copy(
            update={
                "role": Role.METADATA,
                "mechanism": INVENTORY,
                "target": target,
                # the report is written to the primary; its geo copy follows the account's
                "derived": loc.derived or loc.role is Role.GEO_SECONDARY,
            }
        )
        for loc in account_locations
        if loc.role in (Role.PRIMARY, Role.GEO_SECONDARY)
    ]

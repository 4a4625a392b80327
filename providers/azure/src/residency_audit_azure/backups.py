"""Pure: Azure Backup's vaulted blob backups (Microsoft.DataProtection JSON) -> ``Role.BACKUP``
locations.

A vaulted backup copies the selected containers into the Backup vault, in the vault's region; a
vault whose storage is geo-redundant, or that has cross-region restore on, keeps a second copy in
the region paired with it (derived from the published pair table). Operational backup keeps its
restore points in the source account itself, so it adds no location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from residency_audit.model import Certainty, Evidence, Location, Role

from .resource_ids import of_type

__all__ = [
    "BACKUP",
    "BACKUP_GEO",
    "PairLookup",
    "geo_redundant",
    "instance_account",
    "instance_containers",
    "instance_policy",
    "policies_by_id",
    "vault_locations",
    "vaulted",
]

BACKUP = "azure-backup-vault"
BACKUP_GEO = "azure-backup-vault-geo"
# region -> (paired region, source) from the published pair table, or None
PairLookup = Callable[[str], "tuple[str, str] | None"]
_VAULT_STORE = "vaultstore"


def _props(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    props = obj.get("properties")
    return props if isinstance(props, Mapping) else {}


def _store(entry: Any) -> str:
    return str(entry.get("dataStoreType") or "").lower() if isinstance(entry, Mapping) else ""


def vaulted(policy: Mapping[str, Any]) -> bool:
    """Whether a backup policy keeps anything in the vault tier: a backup rule writing to the
    VaultStore, or a retention rule keeping or copying restore points there."""
    for rule in _props(policy).get("policyRules") or []:
        if not isinstance(rule, Mapping):
            continue
        if _store(rule.get("dataStore")) == _VAULT_STORE:
            return True
        for cycle in rule.get("lifecycles") or []:
            if not isinstance(cycle, Mapping):
                continue
            if _store(cycle.get("sourceDataStore")) == _VAULT_STORE:
                return True
            for copy in cycle.get("targetDataStoreCopySettings") or []:
                if isinstance(copy, Mapping) and _store(copy.get("dataStore")) == _VAULT_STORE:
                    return True
    return False


def instance_account(instance: Mapping[str, Any]) -> str | None:
    """The storage account (resource id, lower case) a backup instance protects, else None."""
    info = _props(instance).get("dataSourceInfo")
    if not isinstance(info, Mapping):
        return None
    resource = str(info.get("resourceID") or info.get("resourceUri") or "").rstrip("/")
    if of_type(resource, "Microsoft.Storage", "storageAccounts") is None:
        return None
    return resource.lower()


def instance_policy(instance: Mapping[str, Any]) -> str | None:
    info = _props(instance).get("policyInfo")
    policy = info.get("policyId") if isinstance(info, Mapping) else None
    return str(policy).lower() if policy else None


def instance_containers(instance: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The containers a vaulted blob backup selects; None when the instance names none (then
    every container is taken to be backed up: never assumed left out)."""
    info = _props(instance).get("policyInfo")
    params = info.get("policyParameters") if isinstance(info, Mapping) else None
    lists = params.get("backupDatasourceParametersList") if isinstance(params, Mapping) else None
    found: list[str] = []
    for entry in lists or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("containersList"), list):
            found.extend(str(c) for c in entry["containersList"])
    return tuple(found) if found else None


def geo_redundant(vault: Mapping[str, Any]) -> bool:
    props = _props(vault)
    settings = props.get("storageSettings")
    geo = any(
        isinstance(s, Mapping) and str(s.get("type") or "").lower() == "georedundant"
        for s in (settings if isinstance(settings, list) else [])
    )
    features = props.get("featureSettings")
    restore = features.get("crossRegionRestoreSettings") if isinstance(features, Mapping) else None
    crr = isinstance(restore, Mapping) and str(restore.get("state") or "").lower() == "enabled"
    return geo or crr


def vault_locations(
    vault: Mapping[str, Any],
    pair: PairLookup,
    *,
    certainty: Certainty = Certainty.CONFIRMED,
    why: Evidence | None = None,
    reason: str | None = None,
) -> list[Location]:
    """The vault's region and, when it is geo-redundant, its paired region.

    ``certainty`` POSSIBLE (with ``why`` and ``reason``) when the instance's policy could not be
    read, so whether it keeps a vaulted copy is not known."""
    name = str(vault.get("name") or "?")
    region = str(vault.get("location") or "") or None
    first = Location(
        role=Role.BACKUP,
        provider="azure",
        region=region,
        mechanism=BACKUP,
        target=name,
        certainty=certainty,
        unknown_reason=reason if region else "the backup vault returned no location",
        why=why if region else Evidence(key="azure.backup-vault-no-location", subject=name),
    )
    if not geo_redundant(vault):
        return [first]
    found = pair(region) if region else None
    second = Location(
        role=Role.BACKUP,
        provider="azure",
        region=found[0] if found else None,
        mechanism=BACKUP_GEO,
        target=name,
        certainty=certainty,
        derived=found is not None,
        unknown_reason=f"the vault's paired region, from the region pair table ({found[1]})"
        if found
        else f"the vault is geo-redundant but {region or 'its region'} has no published pair",
        why=Evidence(key="azure.backup-vault-pair", subject=region, value=found[1])
        if found
        else Evidence(key="azure.backup-vault-no-pair", subject=region),
    )
    return [first, second]


def policies_by_id(policies: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(p.get("id") or "").lower(): p for p in policies}

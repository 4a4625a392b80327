"""The ARM stub's resources around storage accounts: Front Door / CDN profiles, classic Front
Doors, diagnostic settings and their destinations, blob inventory policies, Backup vaults.

Bodies follow the examples of azure-rest-api-specs (commit of each file in brackets):

- Microsoft.Cdn 2024-09-01: ``Profiles_Get.json`` [45a148165ad5], ``AFDOriginGroups_Get.json``
  [c93887028b4d], ``AFDOrigins_ListByOriginGroup.json`` [3df64043faa7],
  ``Endpoints_ListByProfile.json`` [6c37190bf1a8]
- Microsoft.Network 2021-06-01: ``FrontdoorListAll.json`` [73ffaaf29baa]
- Microsoft.Insights 2021-05-01-preview: ``listDiagnosticSettings.json`` [a995fe59b93e]
- Microsoft.Storage 2023-05-01: ``StorageAccountGetBlobInventoryPolicy.json`` [b2f741973779]
- Microsoft.DataProtection 2025-07-01: ``VaultCRUD/GetBackupVaultsInSubscription.json``
  [6cb7461e24e7], ``BackupInstanceOperations/ListBackupInstances.json`` [68898151cf1c] (with
  the blob datasource and ``containersList`` of ``PutBackupInstance_ADLSBlobBackupDatasource
  Parameters.json`` [befa6dc12e09]), ``PolicyCRUD/ListBackupPolicy.json`` [16c9ca7681ac]

Seed keys (all optional), per subscription::

    "cdnProfiles": [{"name", "resourceGroup", "sku",
                     "originGroups": [{"name", "origins": [{"name", "hostName"}],
                                       "faults": {"origins": {...}}}],
                     "endpoints": [{"name", "origins": [{"name", "hostName"}],
                                    "geoFilters": [{"relativePath", "action", "countryCodes"}]}],
                     "faults": {"originGroups": {...}, "endpoints": {...}}}],
    "frontDoors": [{"name", "backends": ["host", ...]}],
    "workspaces": [{"name", "resourceGroup", "location", "faults": {"get": {...}}}],
    "eventHubNamespaces": [{"name", "resourceGroup", "location", "faults": {"get": {...}}}],
    "backupVaults": [{"name", "location", "storageType", "crossRegionRestore",
                      "policies": [{"name", "vaulted"}],
                      "instances": [{"name", "account", "policy", "containers"}],
                      "faults": {"backupInstances": {...}, "backupPolicies": {...}}}],
    "faults": {"cdnProfiles", "frontDoors", "backupVaults": {...}}

and per account ``"diagnosticSettings": [{"name", "storageAccountId", "workspaceId",
"eventHubAuthorizationRuleId", "marketplacePartnerId", "logs": [{"categoryGroup", "enabled"}]}]``,
``"inventoryPolicy": {"enabled", "rules": [{"name", "destination", "enabled", "objectType",
"prefixMatch"}]}`` and faults ``diagnosticSettings`` / ``inventoryPolicy``.

An account without an inventory policy answers 404 ``ResourceNotFound`` (ARM's generic code for
a child resource that does not exist; the exact code Azure sends here is not in the examples).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["CopyResources"]


def _key(path: str) -> str:
    return path.rstrip("/").lower()


class CopyResources:
    """Listings and resources by lower-case path, and the fault seeded for each path."""

    def __init__(self) -> None:
        self.listings: dict[str, list[dict[str, Any]]] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, Mapping[str, Any]] = {}
        self.parents: set[str] = set()  # paths whose children a 404 answers (an account)

    def lookup(self, path: str) -> tuple[str, Any] | None:
        """("fault", seed) | ("list", items) | ("get", body) | ("missing", path), or None when
        the path is not one of these resources."""
        key = _key(path)
        if key in self.faults:
            return "fault", self.faults[key]
        if key in self.listings:
            return "list", self.listings[key]
        if key in self.resources:
            return "get", self.resources[key]
        if key.endswith("/inventorypolicies/default") and key.rsplit("/", 2)[0] in self.parents:
            return "missing", path
        return None

    def _list(self, path: str, items: list[dict[str, Any]], fault: Any = None) -> None:
        self.listings[_key(path)] = items
        if fault:
            self.faults[_key(path)] = fault

    # -- per subscription -----------------------------------------------------------------------

    def add_subscription(self, sub_id: str, seed: Mapping[str, Any]) -> None:
        base = f"/subscriptions/{sub_id}"
        faults = seed.get("faults", {})
        profiles = [self._profile(sub_id, p) for p in seed.get("cdnProfiles", [])]
        self._list(f"{base}/providers/Microsoft.Cdn/profiles", profiles, faults.get("cdnProfiles"))
        doors = [_front_door(sub_id, d) for d in seed.get("frontDoors", [])]
        self._list(
            f"{base}/providers/Microsoft.Network/frontDoors", doors, faults.get("frontDoors")
        )
        vaults = [self._vault(sub_id, v) for v in seed.get("backupVaults", [])]
        self._list(
            f"{base}/providers/Microsoft.DataProtection/backupVaults",
            vaults,
            faults.get("backupVaults"),
        )
        for ws in seed.get("workspaces", []):
            body = _workspace(sub_id, ws)
            self.resources[_key(body["id"])] = body
            if ws.get("faults", {}).get("get"):
                self.faults[_key(body["id"])] = ws["faults"]["get"]
        for ns in seed.get("eventHubNamespaces", []):
            body = _namespace(sub_id, ns)
            self.resources[_key(body["id"])] = body
            if ns.get("faults", {}).get("get"):
                self.faults[_key(body["id"])] = ns["faults"]["get"]

    def _profile(self, sub_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
        name, group = seed["name"], seed.get("resourceGroup", "rg-edge")
        sku = seed.get("sku", "Standard_AzureFrontDoor")
        front_door = sku.endswith("AzureFrontDoor")
        # "resourcegroups" in lower case, as the examples' ids have it
        profile_id = (
            f"/subscriptions/{sub_id}/resourcegroups/{group}/providers/"
            f"Microsoft.Cdn/profiles/{name}"
        )
        faults = seed.get("faults", {})
        if front_door:
            groups = []
            for og in seed.get("originGroups", []):
                group_id = f"{profile_id}/origingroups/{og['name']}"
                groups.append(_origin_group(group_id, og["name"]))
                origins = [_afd_origin(group_id, og["name"], o) for o in og.get("origins", [])]
                self._list(f"{group_id}/origins", origins, og.get("faults", {}).get("origins"))
            self._list(f"{profile_id}/originGroups", groups, faults.get("originGroups"))
        else:
            endpoints = [_endpoint(profile_id, e) for e in seed.get("endpoints", [])]
            self._list(f"{profile_id}/endpoints", endpoints, faults.get("endpoints"))
        return {
            "name": name,
            "id": profile_id,
            "type": "Microsoft.Cdn/profiles",
            "tags": {},
            "location": "Global",
            "sku": {"name": sku},
            "kind": "frontdoor" if front_door else "cdn",
            "properties": {
                "originResponseTimeoutSeconds": 30,
                "frontDoorId": str(uuid.uuid5(uuid.NAMESPACE_URL, profile_id)),
                "provisioningState": "Succeeded",
                "resourceState": "Active",
            },
        }

    def _vault(self, sub_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
        name, group = seed["name"], seed.get("resourceGroup", "rg-backup")
        vault_id = (
            f"/subscriptions/{sub_id}/resourceGroups/{group}/providers/"
            f"Microsoft.DataProtection/BackupVaults/{name}"
        )
        faults = seed.get("faults", {})
        policies = [_policy(vault_id, p) for p in seed.get("policies", [])]
        self._list(f"{vault_id}/backupPolicies", policies, faults.get("backupPolicies"))
        instances = [_instance(sub_id, vault_id, i) for i in seed.get("instances", [])]
        self._list(f"{vault_id}/backupInstances", instances, faults.get("backupInstances"))
        return {
            "identity": {"type": "None"},
            "id": vault_id,
            "name": name,
            "type": "Microsoft.DataProtection/BackupVaults",
            "location": seed["location"],
            "tags": {},
            "properties": {
                "provisioningState": "Succeeded",
                "storageSettings": [
                    {
                        "datastoreType": "VaultStore",
                        "type": seed.get("storageType", "LocallyRedundant"),
                    }
                ],
                "featureSettings": {
                    "crossRegionRestoreSettings": {
                        "state": seed.get("crossRegionRestore", "Disabled")
                    }
                },
                "securitySettings": {
                    "softDeleteSettings": {"state": "Enabled", "retentionDurationInDays": 14}
                },
                "secureScore": "Adequate",
                "bcdrSecurityLevel": "Good",
            },
        }

    # -- per account ----------------------------------------------------------------------------

    def add_account(self, account: Mapping[str, Any], seed: Mapping[str, Any]) -> None:
        account_id = account["id"]
        faults = seed.get("faults", {})
        self.parents.add(_key(account_id))
        settings = [_setting(account_id, s) for s in seed.get("diagnosticSettings", [])]
        self._list(
            f"{account_id}/blobServices/default/providers/microsoft.insights/diagnosticSettings",
            settings,
            faults.get("diagnosticSettings"),
        )
        path = _key(f"{account_id}/inventoryPolicies/default")
        if "inventoryPolicy" in seed:
            self.resources[path] = _inventory(account_id, seed["inventoryPolicy"])
        if faults.get("inventoryPolicy"):
            self.faults[path] = faults["inventoryPolicy"]


def _origin_group(group_id: str, name: str) -> dict[str, Any]:
    return {
        "id": group_id,
        "type": "Microsoft.Cdn/profiles/origingroups",
        "name": name,
        "properties": {
            "loadBalancingSettings": {
                "sampleSize": 3,
                "successfulSamplesRequired": 3,
                "additionalLatencyInMilliseconds": 1000,
            },
            "healthProbeSettings": {
                "probePath": "/path1",
                "probeRequestType": "HEAD",
                "probeProtocol": "Http",
                "probeIntervalInSeconds": 10,
            },
            "trafficRestorationTimeToHealedOrNewEndpointsInMinutes": 5,
            "provisioningState": "Succeeded",
            "deploymentStatus": "NotStarted",
        },
    }


def _afd_origin(group_id: str, group: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{group_id}/origins/{seed['name']}",
        "type": "Microsoft.Cdn/profiles/origingroups/origins",
        "name": seed["name"],
        "properties": {
            "hostName": seed["hostName"],
            "httpPort": 80,
            "httpsPort": 443,
            "originHostHeader": seed["hostName"],
            "priority": None,
            "weight": None,
            "enabledState": seed.get("enabledState", "Enabled"),
            "provisioningState": "Succeeded",
            "deploymentStatus": "NotStarted",
            "originGroupName": group,
            "sharedPrivateLinkResource": None,
            "enforceCertificateNameCheck": True,
        },
    }


def _endpoint(profile_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    name = seed["name"]
    endpoint_id = f"{profile_id}/endpoints/{name}"
    origins = [
        {
            "name": o["name"],
            "id": f"{endpoint_id}/origins/{o['name']}",
            "properties": {
                "hostName": o["hostName"],
                "httpPort": 80,
                "httpsPort": 443,
                "originHostHeader": o["hostName"],
                "priority": 1,
                "weight": 50,
                "enabled": True,
            },
        }
        for o in seed.get("origins", [])
    ]
    return {
        "name": name,
        "id": endpoint_id,
        "type": "Microsoft.Cdn/profiles/endpoints",
        "tags": {},
        "location": "CentralUs",
        "properties": {
            "hostName": f"{name}.azureedge.net",
            "originHostHeader": origins[0]["properties"]["hostName"] if origins else None,
            "provisioningState": "Succeeded",
            "resourceState": "Running",
            "isHttpAllowed": True,
            "isHttpsAllowed": True,
            "queryStringCachingBehavior": "NotSet",
            "originPath": None,
            "origins": origins,
            "originGroups": [],
            "customDomains": [],
            "contentTypesToCompress": [],
            "isCompressionEnabled": False,
            "optimizationType": "GeneralWebDelivery",
            "geoFilters": copy.deepcopy(list(seed.get("geoFilters", []))),
        },
    }


def _front_door(sub_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    name, group = seed["name"], seed.get("resourceGroup", "rg-edge")
    door_id = (
        f"/subscriptions/{sub_id}/resourceGroups/{group}/providers/Microsoft.Network/"
        f"frontDoors/{name}"
    )
    pool_id = f"{door_id}/backendPools/backendPool1"
    return {
        "id": door_id,
        "name": name,
        "type": "Microsoft.Network/frontDoor",
        "location": "global",
        "tags": {},
        "properties": {
            "routingRules": [],
            "backendPools": [
                {
                    "id": pool_id,
                    "name": "backendPool1",
                    "properties": {
                        "backends": [
                            {
                                "address": host,
                                "httpPort": 80,
                                "httpsPort": 443,
                                "enabledState": "Enabled",
                                "weight": 1,
                                "priority": 1,
                            }
                            for host in seed.get("backends", [])
                        ]
                    },
                }
            ],
            "frontendEndpoints": [
                {
                    "id": f"{door_id}/frontendEndpoints/default",
                    "name": "default",
                    "properties": {"hostName": f"{name}.azurefd.net"},
                }
            ],
            "backendPoolsSettings": {"enforceCertificateNameCheck": "Enabled"},
            "enabledState": "Enabled",
            "resourceState": "Enabled",
            "provisioningState": "Succeeded",
            "cname": f"{name}.azurefd.net",
        },
    }


def _workspace(sub_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    name, group = seed["name"], seed.get("resourceGroup", "rg-logs")
    return {
        "id": f"/subscriptions/{sub_id}/resourceGroups/{group}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{name}",
        "name": name,
        "type": "Microsoft.OperationalInsights/workspaces",
        "location": seed["location"],
        "tags": {},
        "properties": {
            "customerId": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
            "provisioningState": "Succeeded",
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 30,
        },
    }


def _namespace(sub_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    name, group = seed["name"], seed.get("resourceGroup", "rg-logs")
    return {
        "id": f"/subscriptions/{sub_id}/resourceGroups/{group}/providers/"
        f"Microsoft.EventHub/namespaces/{name}",
        "name": name,
        "type": "Microsoft.EventHub/Namespaces",
        "location": seed["location"],
        "tags": {},
        "sku": {"name": "Standard", "tier": "Standard", "capacity": 1},
        "properties": {
            "provisioningState": "Succeeded",
            "serviceBusEndpoint": f"https://{name}.servicebus.windows.net:443/",
            "status": "Active",
        },
    }


def _setting(account_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        key: seed[key]
        for key in (
            "storageAccountId",
            "workspaceId",
            "eventHubAuthorizationRuleId",
            "eventHubName",
            "marketplacePartnerId",
        )
        if key in seed
    }
    props["metrics"] = [
        {
            "category": "Transaction",
            "enabled": True,
            "retentionPolicy": {"enabled": False, "days": 0},
        }
    ]
    props["logs"] = [
        {**entry, "retentionPolicy": {"enabled": False, "days": 0}}
        for entry in seed.get("logs", [{"categoryGroup": "allLogs", "enabled": True}])
    ]
    return {
        "id": f"{account_id}/blobServices/default/providers/microsoft.insights/"
        f"diagnosticSettings/{seed['name']}",
        "type": "Microsoft.Insights/diagnosticSettings",
        "name": seed["name"],
        "properties": props,
    }


def _inventory(account_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in seed.get("rules", []):
        filters: dict[str, Any] = {"blobTypes": ["blockBlob", "appendBlob", "pageBlob"]}
        if rule.get("prefixMatch"):
            filters["prefixMatch"] = list(rule["prefixMatch"])
        rules.append(
            {
                "enabled": rule.get("enabled", True),
                "name": rule["name"],
                "destination": rule["destination"],
                "definition": {
                    "filters": filters,
                    "format": "Csv",
                    "schedule": "Daily",
                    "objectType": rule.get("objectType", "Blob"),
                    "schemaFields": ["Name", "Creation-Time", "Last-Modified", "Content-Length"],
                },
            }
        )
    return {
        "id": f"{account_id}/inventoryPolicies/default",
        "name": "DefaultInventoryPolicy",
        "type": "Microsoft.Storage/storageAccounts/inventoryPolicies",
        "properties": {
            "policy": {"enabled": seed.get("enabled", True), "type": "Inventory", "rules": rules},
            "lastModifiedTime": "2020-10-05T02:53:39.0932539Z",
        },
    }


def _policy(vault_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    store = "VaultStore" if seed.get("vaulted", True) else "OperationalStore"
    rules: list[dict[str, Any]] = [
        {
            "lifecycles": [
                {
                    "sourceDataStore": {"dataStoreType": store, "objectType": "DataStoreInfoBase"},
                    "deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P30D"},
                }
            ],
            "isDefault": True,
            "name": "Default",
            "objectType": "AzureRetentionRule",
        }
    ]
    if seed.get("vaulted", True):
        rules.insert(
            0,
            {
                "backupParameters": {"backupType": "Discrete", "objectType": "AzureBackupParams"},
                "trigger": {
                    "schedule": {"repeatingTimeIntervals": ["R/2024-01-01T02:00:00+00:00/P1D"]},
                    "taggingCriteria": [
                        {
                            "tagInfo": {"tagName": "Default", "id": "Default_"},
                            "taggingPriority": 99,
                            "isDefault": True,
                        }
                    ],
                    "objectType": "ScheduleBasedTriggerContext",
                },
                "dataStore": {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"},
                "name": "BackupDaily",
                "objectType": "AzureBackupRule",
            },
        )
    return {
        "id": f"{vault_id}/backupPolicies/{seed['name']}",
        "name": seed["name"],
        "type": "Microsoft.DataProtection/backupVaults/backupPolicies",
        "properties": {
            "policyRules": rules,
            "datasourceTypes": ["Microsoft.Storage/storageAccounts/blobServices"],
            "objectType": "BackupPolicy",
        },
    }


def _instance(sub_id: str, vault_id: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    account = str(seed["account"])
    if not account.startswith("/"):
        account = (
            f"/subscriptions/{sub_id}/resourceGroups/rg-storage/providers/"
            f"Microsoft.Storage/storageAccounts/{account}"
        )
    name = account.rsplit("/", 1)[-1]
    source = {
        "resourceID": account,
        "resourceUri": account,
        "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
        "resourceName": name,
        "resourceType": "Microsoft.Storage/storageAccounts",
        "resourceLocation": seed.get("location", "japaneast"),
    }
    policy_info: dict[str, Any] = {
        "policyId": f"{vault_id}/backupPolicies/{seed['policy']}",
        "policyVersion": "1.0",
    }
    if "containers" in seed:
        policy_info["policyParameters"] = {
            "backupDatasourceParametersList": [
                {
                    "objectType": "BlobBackupDatasourceParameters",
                    "containersList": list(seed["containers"]),
                }
            ]
        }
    return {
        "id": f"{vault_id}/backupInstances/{seed['name']}",
        "name": seed["name"],
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "tags": {},
        "properties": {
            "friendlyName": seed["name"],
            "dataSourceInfo": {**source, "objectType": "Datasource"},
            "dataSourceSetInfo": {**source, "objectType": "DatasourceSet"},
            "policyInfo": policy_info,
            "protectionStatus": {"status": "ProtectionConfigured"},
            "provisioningState": "Succeeded",
            "objectType": "BackupInstance",
        },
    }

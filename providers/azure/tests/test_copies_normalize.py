"""The pure rules for copies made around an account, on bodies shaped like azure-rest-api-specs
examples (file and commit named at each): which origins front which account and container, which
geo filter narrows the edges, which diagnostic settings and inventory rules export object names
where, and which Backup policies keep a vaulted copy in which regions."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.model import Certainty, EdgeFilter, Namespace, Role
from residency_audit_azure import backups as bk
from residency_audit_azure import edges
from residency_audit_azure import exports as ex
from residency_audit_azure import normalize as nz

SUB = "3b4c2a57-1f9e-4d8a-9c6b-0a1e2f3d4c5b"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # AFDOrigins_ListByOriginGroup.json (Microsoft.Cdn 2024-09-01, 3df64043faa7)
        ("host1.blob.core.windows.net", ("host1", None)),
        ("Acct01.BLOB.core.windows.net.", ("acct01", None)),
        ("acct01-secondary.blob.core.windows.net", ("acct01", None)),
        ("acct01.privatelink.blob.core.windows.net", ("acct01", None)),
        ("acct01.blob.core.chinacloudapi.cn", ("acct01", None)),
        ("acct01.blob.core.usgovcloudapi.net", ("acct01", None)),
        ("acct01.z5.blob.storage.azure.net", ("acct01", None)),
        ("acct01.z13.web.core.windows.net", ("acct01", "$web")),
        ("https://acct01.blob.core.windows.net/container", ("acct01", None)),
        # Endpoints_ListByProfile.json (6c37190bf1a8): not a storage account
        ("www.bing.com", None),
        ("acct01.blob.core.windows.net.evil.example", None),
        ("acct01.file.core.windows.net", None),
        (None, None),
    ],
)
def test_an_origin_host_names_the_account_and_container_it_serves(
    host: Any, expected: tuple[str, str | None] | None
) -> None:
    assert edges.origin_account(host) == expected


@pytest.mark.parametrize(
    ("sku", "code", "mechanism"),
    [
        # Profiles_Get.json (45a148165ad5): sku Premium_AzureFrontDoor, kind frontdoor
        ("Premium_AzureFrontDoor", "frontdoor", "azure-front-door"),
        ("Standard_AzureFrontDoor", "frontdoor", "azure-front-door"),
        ("Standard_Microsoft", "frontdoor", "azure-cdn"),  # runs on Front Door's edge
        ("Standard_Verizon", "cdn:Standard_Verizon", "azure-cdn"),
        ("Standard_Akamai", "cdn:Standard_Akamai", "azure-cdn"),
    ],
)
def test_a_profile_sku_names_its_edge_catalog_code(sku: str, code: str, mechanism: str) -> None:
    assert edges.edge_code({"sku": {"name": sku}}) == (code, mechanism)
    assert edges.is_front_door_profile({"sku": {"name": sku}}) == sku.endswith("AzureFrontDoor")


def _endpoint(geo: list[dict[str, Any]]) -> dict[str, Any]:
    # Endpoints_ListByProfile.json (6c37190bf1a8), geoFilters as the Endpoint model defines them
    return {
        "name": "endpoint1",
        "properties": {
            "origins": [{"name": "o", "properties": {"hostName": "acct01.blob.core.windows.net"}}],
            "geoFilters": geo,
        },
    }


def test_a_whole_endpoint_geo_filter_narrows_the_edges_and_a_path_filter_does_not() -> None:
    allow = {"relativePath": "/", "action": "Allow", "countryCodes": ["jp", "SG"]}
    assert edges.endpoint_filter(_endpoint([allow])) == EdgeFilter(
        mode="allow", countries=("JP", "SG")
    )
    block = {"relativePath": "/", "action": "Block", "countryCodes": ["CN"]}
    assert edges.endpoint_filter(_endpoint([block])) == EdgeFilter(mode="block", countries=("CN",))
    pictures = {"relativePath": "/pictures/", "action": "Allow", "countryCodes": ["JP"]}
    assert edges.endpoint_filter(_endpoint([pictures])) is None  # the rest is unfiltered
    assert edges.endpoint_filter(_endpoint([allow, block])) is None  # not combined: a guess
    assert edges.endpoint_filter(_endpoint([])) is None
    assert edges.endpoint_hosts(_endpoint([])) == ["acct01.blob.core.windows.net"]


def test_a_cache_location_is_a_possible_copy_in_the_cdn_namespace() -> None:
    loc = edges.cache_location("frontdoor", "azure-front-door", "profile1")
    assert (loc.role, loc.namespace, loc.certainty, loc.region) == (
        Role.CACHE,
        Namespace.CDN,
        Certainty.POSSIBLE,
        "frontdoor",
    )


def test_classic_front_door_backends_are_read_from_every_pool() -> None:
    # FrontdoorListAll.json (Microsoft.Network 2021-06-01, 73ffaaf29baa), one backend changed
    # to a storage account
    door = {
        "name": "frontDoor1",
        "properties": {
            "backendPools": [
                {
                    "name": "backendPool1",
                    "properties": {
                        "backends": [
                            {"address": "w3.contoso.com"},
                            {"address": "acct01.blob.core.windows.net"},
                            {"address": "10.0.1.5"},
                        ]
                    },
                }
            ]
        },
    }
    hosts = list(edges.classic_front_door_hosts(door))
    assert edges.fronted_accounts(hosts) == [("acct01", None)]


# listDiagnosticSettings.json (Microsoft.Insights 2021-05-01-preview, a995fe59b93e)
SETTING = {
    "name": "mysetting",
    "properties": {
        "storageAccountId": "/subscriptions/df602c9c-7aa0-407d-a6fb-eb20c8bd1192/resourceGroups/"
        "apptest/providers/Microsoft.Storage/storageAccounts/appteststorage1",
        "eventHubAuthorizationRuleId": "/subscriptions/b67f7fec-69fc-4974-9099-a26bd6ffeda3/"
        "resourceGroups/andy1101/providers/Microsoft.EventHub/namespaces/andy1101/"
        "authorizationrules/RootManageSharedAccessKey",
        "workspaceId": "",
        "metrics": [{"category": "WorkflowMetrics", "enabled": True}],
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
    },
}


def test_a_setting_with_logs_names_each_destination_and_an_empty_one_is_none() -> None:
    found = ex.log_destinations([SETTING])
    assert [(d.kind, d.name) for d in found] == [
        ("storage", "appteststorage1"),
        ("event-hub", "andy1101"),
    ]
    assert found[1].resource_id.endswith("/Microsoft.EventHub/namespaces/andy1101")


def test_a_metrics_only_setting_exports_no_object_names() -> None:
    metrics_only = {
        "name": "m",
        "properties": {
            **SETTING["properties"],
            "logs": [{"categoryGroup": "allLogs", "enabled": False}],
        },
    }
    assert ex.log_destinations([metrics_only]) == []


def test_an_unreadable_log_destination_is_a_metadata_copy_of_unknown_region() -> None:
    (dest,) = ex.log_destinations(
        [
            {
                "name": "p",
                "properties": {
                    "marketplacePartnerId": (
                        "/subscriptions/x/resourceGroups/g/providers/Microsoft.Datadog/monitors/dd"
                    ),
                    "logs": [{"category": "StorageRead", "enabled": True}],
                },
            }
        ]
    )
    loc = ex.diagnostic_location(dest, None, reason="r")
    assert (loc.role, loc.region, loc.mechanism, loc.target) == (
        Role.METADATA,
        None,
        "azure-diagnostic-settings",
        "dd",
    )
    assert loc.unknown_reason == "r"


# StorageAccountGetBlobInventoryPolicy.json (Microsoft.Storage 2023-05-01, b2f741973779)
POLICY = {
    "name": "DefaultInventoryPolicy",
    "properties": {
        "policy": {
            "enabled": True,
            "type": "Inventory",
            "rules": [
                {
                    "enabled": True,
                    "name": "inventoryPolicyRule1",
                    "destination": "container1",
                    "definition": {
                        "filters": {
                            "blobTypes": ["blockBlob", "appendBlob", "pageBlob"],
                            "prefixMatch": ["inventoryprefix1", "inventoryprefix2"],
                            "includeSnapshots": True,
                            "includeBlobVersions": True,
                        },
                        "format": "Csv",
                        "schedule": "Daily",
                        "objectType": "Blob",
                    },
                }
            ],
        }
    },
}


def test_an_inventory_rule_covers_the_containers_its_prefixes_reach() -> None:
    (rule,) = ex.inventory_rules(POLICY)
    assert ex.rule_covers(rule, "inventoryprefix1")  # the prefix is the container
    assert ex.rule_covers(rule, "inventoryprefix1abc")  # a prefix of "container/blob" paths
    assert not ex.rule_covers(rule, "other")
    containers = {**rule, "definition": {**rule["definition"], "objectType": "Container"}}
    assert ex.rule_covers(containers, "other")  # a container inventory lists every container
    disabled = {"properties": {"policy": {**POLICY["properties"]["policy"], "enabled": False}}}
    assert ex.inventory_rules(disabled) == [] and ex.inventory_rules(None) == []


def test_an_inventory_report_is_where_the_account_is_and_its_geo_copy_is_derived() -> None:
    account = {
        "name": "sto9699",
        "location": "japaneast",
        "sku": {"name": "Standard_GRS"},
        "properties": {"primaryLocation": "japaneast", "secondaryLocation": "japanwest"},
    }
    base = [nz.primary_location(account), *nz.geo_secondary(account, lambda r: None)[0]]
    (rule,) = ex.inventory_rules(POLICY)
    locs = ex.inventory_locations(account, rule, base)
    assert [(loc.role, loc.region, loc.derived, loc.target) for loc in locs] == [
        (Role.METADATA, "japaneast", False, "sto9699/container1"),
        (Role.METADATA, "japanwest", True, "sto9699/container1"),
    ]


# ListBackupPolicy.json (Microsoft.DataProtection 2025-07-01, 16c9ca7681ac), rules trimmed
VAULTED = {
    "id": "/subscriptions/04cf684a/resourceGroups/000pikumar/providers/Microsoft.DataProtection/"
    "backupVaults/PrivatePreviewVault/backupPolicies/OSSDBPolicy",
    "properties": {
        "policyRules": [
            {
                "backupParameters": {"backupType": "Full", "objectType": "AzureBackupParams"},
                "dataStore": {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"},
                "name": "BackupWeekly",
                "objectType": "AzureBackupRule",
            },
            {
                "lifecycles": [
                    {
                        "sourceDataStore": {"dataStoreType": "VaultStore"},
                        "deleteAfter": {"objectType": "AbsoluteDeleteOption", "duration": "P1W"},
                    }
                ],
                "isDefault": True,
                "name": "Default",
                "objectType": "AzureRetentionRule",
            },
        ],
        "objectType": "BackupPolicy",
    },
}
OPERATIONAL = {
    "properties": {
        "policyRules": [
            {
                "lifecycles": [{"sourceDataStore": {"dataStoreType": "OperationalStore"}}],
                "isDefault": True,
                "name": "Default",
                "objectType": "AzureRetentionRule",
            }
        ]
    }
}


def test_a_vault_tier_rule_makes_a_policy_vaulted_and_operational_only_does_not() -> None:
    assert bk.vaulted(VAULTED)
    assert not bk.vaulted(OPERATIONAL)
    copied = {
        "properties": {
            "policyRules": [
                {
                    "lifecycles": [
                        {
                            "sourceDataStore": {"dataStoreType": "OperationalStore"},
                            "targetDataStoreCopySettings": [
                                {"dataStore": {"dataStoreType": "VaultStore"}}
                            ],
                        }
                    ]
                }
            ]
        }
    }
    assert bk.vaulted(copied)


def test_a_blob_instance_names_its_account_and_containers() -> None:
    # PutBackupInstance_ADLSBlobBackupDatasourceParameters.json (befa6dc12e09), blob flavour
    account = (
        f"/subscriptions/{SUB}/resourceGroups/adlsrg/providers/Microsoft.Storage/"
        "storageAccounts/AdlsStorageAccount"
    )
    instance = {
        "properties": {
            "dataSourceInfo": {
                "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
                "resourceID": account,
            },
            "policyInfo": {
                "policyId": VAULTED["id"],
                "policyParameters": {
                    "backupDatasourceParametersList": [
                        {
                            "objectType": "BlobBackupDatasourceParameters",
                            "containersList": ["c1", "c2"],
                        }
                    ]
                },
            },
        }
    }
    assert bk.instance_account(instance) == account.lower()
    assert bk.instance_containers(instance) == ("c1", "c2")
    assert bk.instance_policy(instance) == VAULTED["id"].lower()
    # ListBackupInstances.json (68898151cf1c): a PostgreSQL database, not a storage account
    database = {
        "properties": {
            "dataSourceInfo": {
                "resourceID": "/subscriptions/f75d/resourceGroups/v/providers/"
                "Microsoft.DBforPostgreSQL/servers/v/databases/testdb"
            }
        }
    }
    assert bk.instance_account(database) is None
    assert bk.instance_containers(database) is None  # named none: every container


# GetBackupVaultsInSubscription.json (6cb7461e24e7)
def _vault(storage: str, restore: str, location: str = "WestUS") -> dict[str, Any]:
    return {
        "name": "ExampleVault1",
        "location": location,
        "properties": {
            "storageSettings": [{"datastoreType": "VaultStore", "type": storage}],
            "featureSettings": {"crossRegionRestoreSettings": {"state": restore}},
        },
    }


def test_a_geo_redundant_or_cross_region_vault_adds_its_paired_region() -> None:
    pair = {"japaneast": ("japanwest", "pairs.md")}.get
    local = bk.vault_locations(_vault("LocallyRedundant", "Disabled", "japaneast"), pair)
    assert [(loc.region, loc.mechanism) for loc in local] == [("japaneast", "azure-backup-vault")]
    for vault in (
        _vault("GeoRedundant", "Disabled", "japaneast"),
        _vault("LocallyRedundant", "Enabled", "japaneast"),  # as the example has it
    ):
        first, second = bk.vault_locations(vault, pair)
        assert (first.role, first.region, first.derived) == (Role.BACKUP, "japaneast", False)
        assert (second.region, second.mechanism, second.derived) == (
            "japanwest",
            "azure-backup-vault-geo",
            True,
        )
    unpaired = bk.vault_locations(_vault("GeoRedundant", "Disabled", "brazilsouth"), pair)
    assert unpaired[1].region is None and unpaired[1].why is not None
    assert unpaired[1].why.key == "azure.backup-vault-no-pair"

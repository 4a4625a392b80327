"""Fixtures: an ARM stub seeded with a small estate, and Azurite started from node_modules."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from residency_audit_azure.testing import ArmStub, Azurite, account_key, find_azurite, run_azurite

REPO = Path(__file__).resolve().parents[3]
SUB = "3b4c2a57-1f9e-4d8a-9c6b-0a1e2f3d4c5b"
SUB_DENIED = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
SUB_UNREGISTERED = "5a5a5a5a-1b1b-4c4c-8d8d-9e9e9e9e9e9e"
MISSING_DEST = (
    f"/subscriptions/{SUB}/resourceGroups/rg-gone/providers/Microsoft.Storage/"
    "storageAccounts/deletedreplica"
)


LOCATIONS_EXAMPLE = (
    Path(__file__).parent / "data" / "real" / "GetLocationsWithExtendedLocations.json"
)


def estate_seed() -> dict[str, Any]:
    """Accounts that cover every mapping rule; page_size 2 forces nextLink paging everywhere."""
    return {
        "page_size": 2,
        "subscriptions": [
            {
                "subscriptionId": SUB,
                "displayName": "jp-prod",
                "locations": json.loads(LOCATIONS_EXAMPLE.read_text("utf-8")),
                "vaults": [
                    {"name": "jpkeys", "resourceGroup": "rg-keys", "location": "japanwest"},
                    {"name": "sgkeys", "location": "southeastasia"},
                    {"name": "brkeys", "location": "brazilsouth"},
                ],
                "managedHsms": [
                    # multi-region: properties.regions names both regions
                    {
                        "name": "jphsm",
                        "location": "japaneast",
                        "regions": [
                            {
                                "name": "japaneast",
                                "isPrimary": True,
                                "provisioningState": "Succeeded",
                            },
                            {
                                "name": "eastasia",
                                "isPrimary": False,
                                "provisioningState": "Succeeded",
                            },
                        ],
                    },
                    # no regions in the listing: read through managedHSMs/{name}/regions
                    {
                        "name": "sghsm",
                        "location": "southeastasia",
                        "regionList": [
                            {
                                "name": "southeastasia",
                                "isPrimary": True,
                                "provisioningState": "Succeeded",
                            },
                            {
                                "name": "australiaeast",
                                "isPrimary": False,
                                "provisioningState": "Succeeded",
                            },
                        ],
                    },
                    # its region list is refused
                    {
                        "name": "lockedhsm",
                        "location": "japanwest",
                        "faults": {"regions": {"status": 403, "code": "AuthorizationFailed"}},
                    },
                ],
                "accounts": [
                    {
                        "name": "hkgrs",
                        "location": "eastasia",
                        "sku": "Standard_GRS",
                        "tags": {"classification": "sensitive"},
                        "properties": {
                            "secondaryLocation": "southeastasia",
                            "allowBlobPublicAccess": True,
                        },
                        "containers": [
                            {"name": "ledger", "publicAccess": "None"},
                            {"name": "site", "publicAccess": "Container"},
                        ],
                    },
                    {
                        "name": "sggrs",
                        "location": "southeastasia",
                        "sku": "Standard_RAGRS",
                        "properties": {
                            "secondaryLocation": "eastasia",
                            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny"},
                        },
                        "containers": [{"name": "replica-c1"}],
                    },
                    {
                        "name": "brgrs",
                        "location": "brazilsouth",
                        "sku": "Standard_GRS",
                        "properties": {"secondaryLocation": "southcentralus"},
                        "containers": [{"name": "sales"}],
                    },
                    {
                        "name": "tokyolrs",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "containers": [{"name": "c1"}, {"name": "c2"}, {"name": "c3"}],
                        "objectReplicationPolicies": [
                            {
                                "destinationAccount": "sggrs",
                                "rules": [
                                    {"sourceContainer": "c1", "destinationContainer": "replica-c1"}
                                ],
                            },
                            {
                                "destinationAccount": MISSING_DEST,
                                "rules": [{"sourceContainer": "c2", "destinationContainer": "x"}],
                            },
                        ],
                    },
                    {
                        "name": "cmkacct",
                        "location": "japaneast",
                        "sku": "Standard_ZRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "requireInfrastructureEncryption": True,
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://jpkeys.vault.azure.net",
                                    "keyname": "storage-key",
                                    "keyversion": "",
                                },
                            }
                        },
                        "containers": [{"name": "secrets"}],
                    },
                    {
                        "name": "cmkelsewhere",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://othervault.vault.azure.net/",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "data"}],
                    },
                    {
                        "name": "denied",
                        "location": "japaneast",
                        "sku": "Standard_RAGRS",
                        "properties": {"secondaryLocation": "japanwest"},
                        "containers": [{"name": "hidden"}],
                        "faults": {"containers": {"status": 403, "code": "AuthorizationFailed"}},
                    },
                    {
                        "name": "gzrsnosec",
                        "location": "japaneast",
                        "sku": "Standard_GZRS",
                        "properties": {"secondaryLocation": None},
                        "containers": [{"name": "logs"}],
                    },
                    {
                        "name": "ornoread",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "containers": [{"name": "stuff"}],
                        "faults": {
                            "objectReplicationPolicies": {
                                "status": 403,
                                "code": "AuthorizationFailed",
                            }
                        },
                    },
                    {
                        "name": "cmksg",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://sgkeys.vault.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "vault-sg"}],
                    },
                    {
                        "name": "cmkbr",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://brkeys.vault.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "vault-br"}],
                    },
                    {
                        "name": "hsmmulti",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://jphsm.managedhsm.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "hsm-multi"}],
                    },
                    {
                        "name": "hsmlisted",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://sghsm.managedhsm.azure.net/",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "hsm-listed"}],
                    },
                    {
                        "name": "hsmlocked",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://lockedhsm.managedhsm.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "hsm-locked"}],
                    },
                    {
                        "name": "hsmgone",
                        "location": "japaneast",
                        "sku": "Standard_LRS",
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://otherhsm.managedhsm.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "hsm-gone"}],
                    },
                    {"name": "emptyacct", "location": "japaneast", "sku": "Standard_LRS"},
                    *copies_accounts(),
                ],
                **copies_around(),
            },
            {
                "subscriptionId": SUB_DENIED,
                "displayName": "no-read",
                "faults": {"storageAccounts": {"status": 403, "code": "AuthorizationFailed"}},
            },
            {
                "subscriptionId": SUB_UNREGISTERED,
                "displayName": "unregistered",
                "faults": {
                    "storageAccounts": {
                        "status": 409,
                        "code": "MissingSubscriptionRegistration",
                        "message": "The subscription is not registered to use namespace "
                        "'Microsoft.Storage'. See https://aka.ms/rps-not-found for how to "
                        "register subscriptions.",
                    }
                },
            },
        ],
    }


def _id(kind: str, group: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/{kind}/{name}"


OTHER_SUB = "0c0c0c0c-2d2d-4e4e-8f8f-a1a1a1a1a1a1"  # not in the estate: its accounts unreadable


def copies_accounts() -> list[dict[str, Any]]:
    """Accounts whose data is copied by the resources around them (``copies_around``)."""
    return [
        # fronted by Front Door (blob endpoint: every container) and a CDN on its website
        {
            "name": "edgeorigin",
            "location": "japaneast",
            "sku": "Standard_LRS",
            "containers": [{"name": "assets"}, {"name": "$web"}],
        },
        # logs to a storage account, a workspace, an Event Hub and a partner; an inventory
        {
            "name": "logged",
            "location": "japaneast",
            "sku": "Standard_GRS",
            "properties": {"secondaryLocation": "japanwest"},
            "containers": [{"name": "audit"}, {"name": "inventory"}],
            "diagnosticSettings": [
                {
                    "name": "everywhere",
                    "storageAccountId": _id(
                        "Microsoft.Storage/storageAccounts", "rg-storage", "sggrs"
                    ),
                    "workspaceId": _id(
                        "Microsoft.OperationalInsights/workspaces", "rg-logs", "jplogs"
                    ),
                    "eventHubAuthorizationRuleId": _id(
                        "Microsoft.EventHub/namespaces", "rg-logs", "hkhub"
                    )
                    + "/authorizationrules/RootManageSharedAccessKey",
                    "marketplacePartnerId": _id("Microsoft.Datadog/monitors", "rg-partner", "dd"),
                },
                {
                    "name": "far",
                    "storageAccountId": f"/subscriptions/{OTHER_SUB}/resourceGroups/rg/providers/"
                    "Microsoft.Storage/storageAccounts/farlogs",
                },
                {
                    "name": "metrics-only",
                    "workspaceId": _id("Microsoft.OperationalInsights/workspaces", "rg-logs", "x"),
                    "logs": [{"categoryGroup": "allLogs", "enabled": False}],
                },
            ],
            "inventoryPolicy": {
                "rules": [
                    {"name": "audit-list", "destination": "inventory", "prefixMatch": ["audit/"]}
                ]
            },
        },
        # a vaulted backup of one container; an operational-tier one of another account
        {
            "name": "backedup",
            "location": "japaneast",
            "sku": "Standard_LRS",
            "containers": [{"name": "records"}, {"name": "scratch"}],
        },
        {
            "name": "opsbackup",
            "location": "japaneast",
            "sku": "Standard_LRS",
            "containers": [{"name": "ops"}],
        },
    ]


def copies_around() -> dict[str, Any]:
    """The subscription's Front Door / CDN profiles, log destinations and Backup vaults."""
    return {
        "cdnProfiles": [
            {
                "name": "jpafd",
                "sku": "Standard_AzureFrontDoor",
                "originGroups": [
                    {
                        "name": "og1",
                        "origins": [
                            {"name": "o1", "hostName": "edgeorigin.blob.core.windows.net"},
                            {"name": "o2", "hostName": "www.contoso.com"},
                        ],
                    }
                ],
            },
            {
                "name": "jpcdn",
                "sku": "Standard_Microsoft",
                "endpoints": [
                    {
                        "name": "site",
                        "origins": [
                            {"name": "web", "hostName": "edgeorigin.z11.web.core.windows.net"}
                        ],
                        "geoFilters": [
                            {"relativePath": "/", "action": "Allow", "countryCodes": ["JP"]}
                        ],
                    }
                ],
            },
        ],
        "frontDoors": [
            {
                "name": "classicfd",
                "backends": ["edgeorigin.blob.core.windows.net", "w3.contoso.com"],
            }
        ],
        "workspaces": [{"name": "jplogs", "resourceGroup": "rg-logs", "location": "japaneast"}],
        "eventHubNamespaces": [
            {"name": "hkhub", "resourceGroup": "rg-logs", "location": "eastasia"}
        ],
        "backupVaults": [
            {
                "name": "jpvault",
                "location": "japaneast",
                "storageType": "GeoRedundant",
                "policies": [{"name": "vaulted"}, {"name": "opsonly", "vaulted": False}],
                "instances": [
                    {
                        "name": "bi1",
                        "account": "backedup",
                        "policy": "vaulted",
                        "containers": ["records"],
                    },
                    {"name": "bi2", "account": "opsbackup", "policy": "opsonly"},
                ],
            }
        ],
    }


IDS = SimpleNamespace(
    sub=SUB, sub_denied=SUB_DENIED, sub_unregistered=SUB_UNREGISTERED, missing_dest=MISSING_DEST
)


@pytest.fixture
def ids() -> SimpleNamespace:
    return IDS


@pytest.fixture
def estate() -> dict[str, Any]:
    return estate_seed()


@pytest.fixture
def arm_stub(estate: dict[str, Any]) -> Iterator[ArmStub]:
    with ArmStub(estate) as stub:
        yield stub


@pytest.fixture
def stub_settings(arm_stub: ArmStub) -> Callable[..., dict[str, Any]]:
    def make(**extra: Any) -> dict[str, Any]:
        return {"arm_endpoint": arm_stub.url, "credential": "anonymous", "retries": 0, **extra}

    return make


def seed(azurite: Azurite, account: str, levels: dict[str, str | None]) -> None:
    """Containers at the given public-access levels, each with one blob (idempotent)."""
    service = BlobServiceClient(
        azurite.endpoint(account),
        credential={"account_name": account, "account_key": account_key(account)},
    )
    for name, level in levels.items():
        try:
            container = service.create_container(name, public_access=level)
        except ResourceExistsError:
            continue
        container.upload_blob("readme.txt", b"hello")


@pytest.fixture(scope="session")
def azurite_main() -> Path:
    main = find_azurite(REPO)
    if main is None:
        reason = (
            "Azurite is not installed: run `npm ci` at the repository root "
            "(package.json pins azurite 3.35.0 for Node 20)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return main


@pytest.fixture(scope="session")
def azurite(azurite_main: Path) -> Iterator[Azurite]:
    with run_azurite(azurite_main, ("tokyoblob", "hkblob", "devstoreaccount1")) as server:
        yield server

"""The plugin's ARM call budget, on the ARM stub through the unmodified SDK clients.

A scan costs a constant number of management calls per storage account (its container pages, one
object replication listing, one diagnostic-settings listing and one inventory-policy read) plus
reads made once per subscription or per destination, never per account (the vault list, a
replication or log destination outside the account list, the CDN profiles and their origins, the
classic Front Doors, the Backup vaults and their instances and policies) -- so ten
times the accounts is ten times the calls, not more. And the default worker pool is served by a
connection pool as large: connections idle together are kept for the next burst of reads instead
of closed and opened again, which at ARM's distance costs a TCP and TLS handshake each. No timing
is asserted.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from residency_audit.model import Bucket
from residency_audit.plugins import Scope
from residency_audit_azure import AzureProvider
from residency_audit_azure.permissions import read_for
from residency_audit_azure.settings import parse_settings
from residency_audit_azure.testing import ArmStub

SUB = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"
GONE = f"/subscriptions/{SUB}/resourceGroups/gone/providers/Microsoft.Storage/storageAccounts/gone"
PAGE = 2  # every listing pages after two entries


def estate(accounts: int, containers: Any = lambda i: i % 4, shared: bool = True) -> dict[str, Any]:
    """``accounts`` accounts in one subscription: account ``i`` holds ``containers(i)`` containers
    (0 to 3 by default: none, one page, two pages); with ``shared``, each account's key is in the
    same vault and each replicates to the same deleted account (a 404, worth one read, not one
    per account)."""
    cmk = {
        "keySource": "Microsoft.Keyvault",
        "keyvaultproperties": {"keyvaulturi": "https://budgetkeys.vault.azure.net"},
    }
    policy = {
        "destinationAccount": GONE,
        "rules": [{"sourceContainer": "c0", "destinationContainer": "c0"}],
    }
    return {
        "page_size": PAGE,
        "subscriptions": [
            {
                "subscriptionId": SUB,
                "vaults": [{"name": "budgetkeys", "location": "japanwest"}],
                "accounts": [
                    {
                        "name": f"budget{i:04d}",
                        "location": "japaneast",
                        "sku": "Standard_GRS",
                        "properties": {
                            "secondaryLocation": "japanwest",
                            **({"encryption": cmk} if shared else {}),
                        },
                        "containers": [{"name": f"c{j}"} for j in range(containers(i))],
                        "objectReplicationPolicies": [policy] if shared else [],
                    }
                    for i in range(accounts)
                ],
            }
        ],
    }


# what the reads around the accounts cost (around.py)
PER_ACCOUNT_COPIES = ("diagnosticSettings.list", "blobInventoryPolicies.get")
PER_SUBSCRIPTION_COPIES = ("cdnProfiles.list", "frontDoors.list", "backupVaults.list")


def scan(stub: ArmStub, **settings: Any) -> tuple[list[Bucket], Counter[str | None]]:
    provider = AzureProvider.from_settings(
        {"arm_endpoint": stub.url, "credential": "anonymous", "subscriptions": [SUB], **settings}
    )
    stub.clear_requests()
    items = list(provider.buckets(Scope("azure", SUB)))
    calls = Counter(read_for(r.method, r.path) for r in stub.requests)
    return [b for b in items if isinstance(b, Bucket)], calls


@pytest.mark.parametrize("accounts", [4, 40])
def test_management_calls_per_account_stay_constant_plus_container_pages(accounts: int) -> None:
    seed = estate(accounts)
    sizes = [len(a["containers"]) for a in seed["subscriptions"][0]["accounts"]]
    with ArmStub(seed) as stub:
        buckets, calls = scan(stub)

    assert len(buckets) == sum(sizes)  # every container is reported: nothing saved by skipping
    assert None not in calls and set(calls) <= {
        "storageAccounts.list",
        "blobContainers.list",
        "objectReplicationPolicies.list",
        "vaults.listBySubscription",
        "storageAccounts.getProperties",
        *PER_ACCOUNT_COPIES,
        *PER_SUBSCRIPTION_COPIES,
    }
    # paging: one request a page, each page read once
    assert calls["storageAccounts.list"] == math.ceil(accounts / PAGE)
    assert calls["blobContainers.list"] == sum(max(1, math.ceil(n / PAGE)) for n in sizes)
    # per account beyond its container pages: its replication policies, diagnostic settings
    # and inventory policy
    with_containers = sum(1 for n in sizes if n)
    assert calls["objectReplicationPolicies.list"] == with_containers <= accounts
    assert all(calls[read] == with_containers for read in PER_ACCOUNT_COPIES)
    # per subscription / per destination, whatever the number of accounts that need it
    assert calls["vaults.listBySubscription"] == 1
    assert calls["storageAccounts.getProperties"] == 1
    assert all(calls[read] == 1 for read in PER_SUBSCRIPTION_COPIES)
    beyond_pages = (
        sum(calls.values()) - calls["storageAccounts.list"] - calls["blobContainers.list"]
    )
    assert beyond_pages <= 3 * accounts + 2 + len(PER_SUBSCRIPTION_COPIES)


def test_ten_times_the_accounts_costs_ten_times_the_calls() -> None:
    counts = []
    for accounts in (6, 60):
        with ArmStub(estate(accounts, containers=lambda i: 1)) as stub:
            _, calls = scan(stub)
        counts.append(sum(calls.values()) - calls["storageAccounts.list"])
    small, large = counts
    # containers, replication policies, diagnostic settings and inventory policy per account,
    # plus the same five shared reads (vaults, the destination, profiles, Front Doors, Backup)
    assert (small, large) == (6 * 4 + 5, 60 * 4 + 5)


@pytest.mark.parametrize("workers", [None, 48])
def test_the_connection_pool_keeps_a_connection_for_every_worker(workers: int | None) -> None:
    settings = {} if workers is None else {"max_workers": workers}
    size = parse_settings({"credential": "anonymous", **settings}).max_workers
    assert size > 10  # above requests' default pool of 10, so the pool's size is what is tested
    seed = estate(2 * size, containers=lambda i: 1, shared=False)
    seed["page_size"] = 1000
    opened: list[int] = []
    # every answer waits a while, so that the workers' reads really are in flight together
    with ArmStub(seed, latency=0.2) as stub:
        provider = AzureProvider.from_settings(
            {
                "arm_endpoint": stub.url,
                "credential": "anonymous",
                "subscriptions": [SUB],
                **settings,
            }
        )
        for _ in range(2):  # the second scan finds every connection of the first still open
            stub.clear_requests()
            buckets = [b for b in provider.buckets(Scope("azure", SUB)) if isinstance(b, Bucket)]
            assert len(buckets) == 2 * size
            opened.append(stub.connections)
    # one storage client, shared by the workers: a pool smaller than the workers drops the
    # connections past its size whenever they are idle together (here between the two scans)
    # and opens new ones for the next burst, a TCP and TLS handshake each at ARM's distance
    assert opened[0] <= size and opened[1] == 0


def fronted_and_backed_up(accounts: int) -> dict[str, Any]:
    """``accounts`` accounts, every one behind one Front Door origin group and one CDN
    endpoint, logging to one workspace, with an inventory rule, and backed up by one vault."""
    seed = estate(accounts, containers=lambda i: 1, shared=False)
    sub = seed["subscriptions"][0]
    names = [a["name"] for a in sub["accounts"]]
    workspace = (
        f"/subscriptions/{SUB}/resourceGroups/rg-logs/providers/"
        "Microsoft.OperationalInsights/workspaces/logs"
    )
    for account in sub["accounts"]:
        account["diagnosticSettings"] = [{"name": "logs", "workspaceId": workspace}]
        account["inventoryPolicy"] = {"rules": [{"name": "all", "destination": "c0"}]}
    sub["workspaces"] = [{"name": "logs", "resourceGroup": "rg-logs", "location": "japanwest"}]
    hosts = [{"name": n, "hostName": f"{n}.blob.core.windows.net"} for n in names]
    sub["cdnProfiles"] = [
        {"name": "afd", "originGroups": [{"name": "og", "origins": hosts}]},
        {
            "name": "cdn",
            "sku": "Standard_Microsoft",
            "endpoints": [{"name": "e", "origins": hosts}],
        },
    ]
    sub["backupVaults"] = [
        {
            "name": "vault",
            "location": "japaneast",
            "storageType": "GeoRedundant",
            "policies": [{"name": "p"}],
            "instances": [{"name": n, "account": n, "policy": "p"} for n in names],
        }
    ]
    return seed


@pytest.mark.parametrize("accounts", [4, 40])
def test_the_copies_around_cost_two_reads_per_account_and_the_rest_once(accounts: int) -> None:
    with ArmStub(fronted_and_backed_up(accounts)) as stub:
        buckets, calls = scan(stub)
    assert len(buckets) == accounts
    mechanisms = {loc.mechanism for b in buckets for loc in b.locations}
    assert {
        "azure-front-door",
        "azure-cdn",
        "azure-diagnostic-settings",
        "azure-blob-inventory",
        "azure-backup-vault",
        "azure-backup-vault-geo",
    } <= mechanisms
    assert all(calls[read] == accounts for read in PER_ACCOUNT_COPIES)
    # the origins, endpoints, vault's instances and policies are paged, not read per account
    pages = math.ceil(accounts / PAGE)
    assert calls["afdOrigins.listByOriginGroup"] == pages
    assert calls["cdnEndpoints.listByProfile"] == 1
    assert calls["backupInstances.list"] == pages
    assert calls["backupPolicies.list"] == 1
    assert calls["cdnProfiles.list"] == calls["afdOriginGroups.listByProfile"] == 1
    assert calls["workspaces.get"] == 1  # one destination, read once for all its accounts

"""Azure benchmark: the plugin vs a plain sequential loop of the same SDK calls, on the ARM stub.

Seeds the ARM stub (residency_audit_azure.testing) with N containers of mixed settings spread over
N/4 storage accounts (LRS / GRS in a cross-border pair / GZRS without a returned secondary / CMK in
a key vault / public containers / object replication to another account and to a deleted one),
then measures containers/second and HTTP requests per container for

* ``plugin``: ``AzureProvider.buckets()`` (accounts list, then containers + object replication per
  account on a bounded worker pool, vaults once, each replication destination once), normalized;
* ``plain loop``: the same azure-mgmt-storage / azure-mgmt-keyvault calls, one after another.

The stub answers from memory in about a millisecond, so a second round adds a simulated round trip
(``--rtt-ms``, default 20) to every response, closer to ARM over the internet; that is where bounded
concurrency pays. The stub runs in its own process so its CPU time does not share the client's
GIL. Not run by the tests.

    .venv/bin/python benchmarks/bench_azure.py --n 2000
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.storage import StorageManagementClient

from residency_audit.model import Bucket
from residency_audit.plugins import Scope
from residency_audit_azure import AzureProvider
from residency_audit_azure.testing import ArmStub

SUB = "00000000-bench-4000-8000-000000000001"
PER_ACCOUNT = 4
GONE = "Microsoft.Storage/storageAccounts"  # a deleted replication destination -> 404
REGIONS = [
    ("japaneast", "Standard_LRS", None),
    ("eastasia", "Standard_GRS", "southeastasia"),
    ("southeastasia", "Standard_RAGRS", "eastasia"),
    ("japaneast", "Standard_GZRS", None),  # secondary not returned -> pair table
    ("brazilsouth", "Standard_GRS", "southcentralus"),
]


def estate(n: int) -> dict[str, Any]:
    accounts: list[dict[str, Any]] = []
    for i in range((n + PER_ACCOUNT - 1) // PER_ACCOUNT):
        location, sku, secondary = REGIONS[i % len(REGIONS)]
        count = min(PER_ACCOUNT, n - i * PER_ACCOUNT)
        props: dict[str, Any] = {"allowBlobPublicAccess": i % 6 == 0}
        if secondary:
            props["secondaryLocation"] = secondary
        if i % 7 == 0:
            props["encryption"] = {
                "keySource": "Microsoft.Keyvault",
                "keyvaultproperties": {"keyvaulturi": "https://benchkeys.vault.azure.net"},
            }
        account: dict[str, Any] = {
            "name": f"bench{i:06d}",
            "location": location,
            "sku": sku,
            "tags": {"data-classification": "internal"} if i % 3 == 0 else {},
            "properties": props,
            "containers": [
                {"name": f"c{j}", "publicAccess": "Container" if i % 6 == 0 and j == 0 else "None"}
                for j in range(count)
            ],
        }
        if i % 10 == 5:
            dest = (
                f"bench{i - 1:06d}"
                if i % 20 == 5
                else f"/subscriptions/{SUB}/resourceGroups/gone/providers/{GONE}/gone{i}"
            )
            account["objectReplicationPolicies"] = [
                {
                    "destinationAccount": dest,
                    "rules": [{"sourceContainer": "c0", "destinationContainer": "c0"}],
                }
            ]
        accounts.append(account)
    return {
        "page_size": 1000,
        "subscriptions": [
            {
                "subscriptionId": SUB,
                "vaults": [{"name": "benchkeys", "location": "japanwest"}],
                "accounts": accounts,
            }
        ],
    }


def _serve(n: int, rtt_ms: float, queue: Any) -> None:
    stub = ArmStub(estate(n), latency=rtt_ms / 1000).start()
    queue.put(stub.url)
    while True:
        time.sleep(3600)


@contextmanager
def stub_process(n: int, rtt_ms: float) -> Iterator[str]:
    queue: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve, args=(n, rtt_ms, queue), daemon=True)
    proc.start()
    try:
        yield queue.get(timeout=60)
    finally:
        proc.terminate()
        proc.join()


def run_plugin(url: str, workers: int) -> tuple[int, int, float]:
    provider = AzureProvider.from_settings(
        {
            "arm_endpoint": url,
            "credential": "anonymous",
            "subscriptions": [SUB],
            "max_workers": workers,
        }
    )
    start = time.perf_counter()
    count = sum(isinstance(b, Bucket) for b in provider.buckets(Scope("azure", SUB)))
    return count, provider.request_log.count(), time.perf_counter() - start


class _Anonymous:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("no token is requested without an authentication policy")


def run_plain(url: str) -> tuple[int, int, float]:
    calls: list[str] = []
    kwargs: dict[str, Any] = {
        "base_url": url,
        "authentication_policy": SansIOHTTPPolicy(),
        "raw_request_hook": lambda request: calls.append(request.http_request.url),
    }
    storage = StorageManagementClient(_Anonymous(), SUB, **kwargs)
    vaults = KeyVaultManagementClient(_Anonymous(), SUB, **kwargs)
    start = time.perf_counter()
    count = 0
    vault_list = None
    for account in storage.storage_accounts.list():
        group, name = str(account.id).split("/")[4], str(account.name)
        containers = list(storage.blob_containers.list(group, name))
        if containers:
            for policy in storage.object_replication_policies.list(group, name):
                dest = policy.destination_account or ""
                if dest.startswith("/"):
                    parts = dest.split("/")
                    with contextlib.suppress(ResourceNotFoundError):  # as in the plugin
                        storage.storage_accounts.get_properties(parts[4], parts[8])
        if (
            account.encryption
            and account.encryption.key_source == "Microsoft.Keyvault"
            and vault_list is None
        ):
            vault_list = list(vaults.vaults.list_by_subscription())
        count += len(containers)
    return count, len(calls), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="containers to seed (default 2000)")
    parser.add_argument("--workers", type=int, default=8, help="plugin max_workers (default 8)")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="simulated round trip (ms)")
    args = parser.parse_args()
    rows = []
    for rtt in (0.0, args.rtt_ms):
        with stub_process(args.n, rtt) as url:
            runs = [
                (f"plugin ({args.workers} workers)", run_plugin(url, args.workers)),
                ("plain sequential loop", run_plain(url)),
            ]
        for name, (count, calls, secs) in runs:
            rows.append((f"{rtt:g}", name, count, calls / max(count, 1), count / secs, secs))
    accounts = (args.n + PER_ACCOUNT - 1) // PER_ACCOUNT
    print(
        f"Azure benchmark: {args.n} containers in {accounts} accounts, ARM stub, one subscription"
    )
    head = ("rtt ms", "variant", "buckets", "calls/bucket", "buckets/s", "seconds")
    print(f"{head[0]:>6}  {head[1]:<24} {head[2]:>7} {head[3]:>12} {head[4]:>10} {head[5]:>8}")
    for rtt_s, name, count, per, rate, secs in rows:
        print(f"{rtt_s:>6}  {name:<24} {count:>7} {per:>12.3f} {rate:>10.0f} {secs:>8.2f}")


if __name__ == "__main__":
    main()

"""Azure benchmark: the plugin at default settings vs a raw 32-thread loop of the same ARM reads,
on the ARM stub behind the latency proxy.

Seeds the ARM stub (residency_audit_azure.testing) with N containers of mixed settings spread over
N/4 storage accounts (LRS / GRS in a cross-border pair / GZRS without a returned secondary / CMK in
a key vault / public containers / object replication to another account and to a deleted one),
then, for each ``--delay-ms`` (default ``0 150``), measures

* ``plugin``: ``AzureProvider.buckets()`` with default settings (only what reaches the stub:
  ``arm_endpoint``, ``credential = "anonymous"``, the subscription), normalized to the model;
* ``raw loop``: the same azure-mgmt-storage / azure-mgmt-keyvault reads as plain SDK calls on a
  ``ThreadPoolExecutor(32)`` with each client's connection pool sized to 32: the accounts list,
  then every account's containers and object replication policies at once, the vault list once,
  and each replication destination the accounts list does not hold once, as soon as its policy is
  read. That is the floor: no dependency between reads the API does not impose.

Both go through ``benchmarks/latency_proxy.py``, also at +0 (delay 0), so the request counts are
the requests the stub received (the proxy's log), counted by ARM operation. Each run is in a fresh
spawned process (peak RSS is its own); the SDKs are imported (and, for the plugin, the region
catalog read) before the clock starts, so the seconds are the scan alone; start-up is a whole
``residency-audit scan`` of a subscription with no storage accounts on the same stub. The stub
runs in its own process so its CPU time does not share the client's GIL. Not run by the tests.

    .venv/bin/python benchmarks/bench_azure.py --n 500 2000
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.storage import StorageManagementClient
from benchkit import (
    RAW_THREADS,
    Run,
    by_operation,
    in_child,
    latency_proxy,
    request_lines,
    startup_seconds,
    table,
)

from residency_audit.catalog import load_catalog
from residency_audit.model import Bucket
from residency_audit.plugins import Scope
from residency_audit_azure import AzureProvider
from residency_audit_azure.testing import ArmStub

SUB = "00000000-bench-4000-8000-000000000001"
EMPTY_SUB = "00000000-bench-4000-8000-000000000002"  # no storage accounts: the start-up scan
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
            },
            {"subscriptionId": EMPTY_SUB, "accounts": []},
        ],
    }


def _serve(n: int, queue: Any) -> None:
    stub = ArmStub(estate(n)).start()
    queue.put(stub.url)
    while True:
        time.sleep(3600)


@contextmanager
def stub_process(n: int) -> Iterator[str]:
    queue: Any = multiprocessing.get_context("spawn").Queue()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(n, queue), daemon=True)
    proc.start()
    try:
        yield queue.get(timeout=120)
    finally:
        proc.terminate()
        proc.join()


# -- the two runs (module level: in_child runs them in a spawned process) -----------------------


def run_plugin(url: str) -> tuple[int, float]:
    provider = AzureProvider.from_settings(
        {"arm_endpoint": url, "credential": "anonymous", "subscriptions": [SUB]}
    )
    load_catalog()  # read once per process (a scan's resolve stage needs it anyway): start-up
    start = time.perf_counter()
    count = sum(isinstance(b, Bucket) for b in provider.buckets(Scope("azure", SUB)))
    return count, time.perf_counter() - start


class _Anonymous:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("no token is requested without an authentication policy")


def _transport() -> RequestsTransport:
    """requests' default pool keeps 10 connections per host; 32 threads need 32."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=RAW_THREADS)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return RequestsTransport(session=session, session_owner=True)


def run_raw(url: str) -> tuple[int, float]:
    kwargs: dict[str, Any] = {"base_url": url, "authentication_policy": SansIOHTTPPolicy()}
    storage = StorageManagementClient(_Anonymous(), SUB, transport=_transport(), **kwargs)
    vaults = KeyVaultManagementClient(_Anonymous(), SUB, transport=_transport(), **kwargs)

    def containers(group: str, name: str) -> int:
        return sum(1 for _ in storage.blob_containers.list(group, name))

    def destinations(group: str, name: str) -> list[str]:
        return [
            str(p.destination_account or "")
            for p in storage.object_replication_policies.list(group, name)
            if p.source_account == name
        ]

    def vault_list() -> int:
        list(vaults.vaults.list_by_subscription())
        return 0

    def destination(ref: str) -> int:
        parts = ref.split("/")
        with suppress(ResourceNotFoundError):  # a deleted destination, as in the plugin
            storage.storage_accounts.get_properties(parts[4], parts[8])
        return 0

    start = time.perf_counter()
    accounts = list(storage.storage_accounts.list())
    listed = {str(a.id).lower() for a in accounts} | {str(a.name).lower() for a in accounts}
    with ThreadPoolExecutor(RAW_THREADS) as pool:
        counts: list[Future[int]] = []
        policies: list[Future[list[str]]] = []
        for account in accounts:
            group, name = str(account.id).split("/")[4], str(account.name)
            counts.append(pool.submit(containers, group, name))
            policies.append(pool.submit(destinations, group, name))
        if any(a.encryption and a.encryption.key_source == "Microsoft.Keyvault" for a in accounts):
            counts.append(pool.submit(vault_list))
        asked: set[str] = set()
        for done in as_completed(policies):
            for ref in done.result():
                if ref.startswith("/") and ref.lower() not in listed | asked:
                    asked.add(ref.lower())
                    counts.append(pool.submit(destination, ref))
        count = sum(f.result() for f in counts)
    return count, time.perf_counter() - start


# -- counting -----------------------------------------------------------------------------------

_OPERATIONS = [
    (r"/providers/Microsoft\.Storage/storageAccounts$", "storageAccounts.list"),
    (r"/storageAccounts/[^/]+/blobServices/default/containers$", "blobContainers.list"),
    (r"/storageAccounts/[^/]+/objectReplicationPolicies$", "objectReplicationPolicies.list"),
    (r"/storageAccounts/[^/]+$", "storageAccounts.getProperties"),
    (r"/providers/Microsoft\.KeyVault/vaults$", "vaults.listBySubscription"),
    (r"/providers/Microsoft\.KeyVault/managedHSMs$", "managedHsms.listBySubscription"),
    (r"/managedHSMs/[^/]+/regions$", "mhsmRegions.listByResource"),
    (r"^/subscriptions$", "subscriptions.list"),
]


def classify(line: str) -> str | None:
    """An ARM operation name (the plugin's own, as in reads.READS) for a logged request line."""
    _, _, target = line.partition(" ")
    path = target.split("?", 1)[0].rstrip("/")
    for pattern, name in _OPERATIONS:
        if re.search(pattern, path, re.I):
            return name
    return f"other {path}"


def measure(label: str, fn: Any, stub_url: str, delay: float, log: Path, n: int) -> tuple[Run, int]:
    with latency_proxy(stub_url, delay, log) as url:
        start = len(request_lines(log))
        (count, seconds), peak = in_child(fn, url)
        lines = request_lines(log, start)
    if count != n:
        raise RuntimeError(f"{label} at +{delay:g} ms counted {count} containers, not {n}")
    connections = sum(line == "CONNECT" for line in lines)
    ops = by_operation(lines, classify)
    run = Run(label, delay, count, seconds, sum(ops.values()), peak, ops)
    return run, connections


def startup(stub_url: str, workdir: Path) -> float:
    config = workdir / "empty.toml"
    config.write_text(
        "[providers.azure]\n"
        f'arm_endpoint = "{stub_url}"\ncredential = "anonymous"\n'
        f'subscriptions = ["{EMPTY_SUB}"]\n',
        encoding="utf-8",
    )
    cli = Path(sys.executable).with_name("residency-audit")
    argv = [str(cli), "scan", "--config", str(config), "-o", str(workdir / "out")]
    return startup_seconds([*argv, "--no-history", "-q"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[500], help="containers (500)")
    parser.add_argument("--delay-ms", type=float, nargs="+", default=[0.0, 150.0])
    args = parser.parse_args()
    for n in args.n:
        accounts = (n + PER_ACCOUNT - 1) // PER_ACCOUNT
        runs: list[Run] = []
        notes: list[str] = []
        with stub_process(n) as stub_url, tempfile.TemporaryDirectory() as d:
            log = Path(d) / "requests.log"
            for delay in args.delay_ms:
                for label, fn in (("plugin", run_plugin), ("raw loop", run_raw)):
                    run, connections = measure(label, fn, stub_url, delay, log, n)
                    runs.append(run)
                    per_account = ", ".join(
                        f"{op} {k / accounts:.2f}" for op, k in run.operations.items()
                    )
                    notes.append(
                        f"{label} at +{delay:g} ms: {run.calls / accounts:.2f} management calls "
                        f"per storage account ({per_account}); {connections} connections"
                    )
            boot = startup(stub_url, Path(d))
        title = (
            f"Azure: {n} containers in {accounts} storage accounts, one subscription, ARM stub "
            f"behind the latency proxy (load {Path('/proc/loadavg').read_text().split()[0]})"
        )
        print(table(title, runs, startup=boot))
        print("\n" + "\n".join(notes), flush=True)


if __name__ == "__main__":
    main()

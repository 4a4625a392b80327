"""Azure inventory-source benchmark: ``source = "inventory"`` (Azure Resource Graph) against the
live path, both at default settings, on the ARM stub behind the latency proxy.

The estate is ``bench_azure.py``'s (N containers in N/4 storage accounts: LRS, GRS across a
border, GZRS without a returned secondary, CMK in a key vault, public containers, object
replication to another account and to a deleted one). For each ``--delay-ms`` (default
``0 150``) it measures, each in a fresh spawned process (peak RSS its own):

* ``live``: ``AzureProvider.buckets()`` with default settings (bench_azure's ``plugin`` run);
* ``inventory``: the same with ``source = "inventory"``: the accounts and the key vaults from
  Resource Graph (``POST /providers/Microsoft.ResourceGraph/resources``, 1,000 rows a page), the
  containers and object replication policies, which Resource Graph does not hold, read live.

Calls are the requests the stub received (the proxy's log), counted by operation. Not run by the
tests.

    .venv/bin/python benchmarks/bench_azure_inventory.py --n 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_azure import PER_ACCOUNT, SUB, stub_process
from bench_azure import classify as classify_live
from benchkit import Run, by_operation, in_child, latency_proxy, request_lines, table

from residency_audit.catalog import load_catalog
from residency_audit.model import Bucket
from residency_audit.plugins import Scope
from residency_audit_azure import AzureProvider


def _scan(url: str, **extra: Any) -> tuple[int, float]:
    provider = AzureProvider.from_settings(
        {"arm_endpoint": url, "credential": "anonymous", "subscriptions": [SUB], **extra}
    )
    load_catalog()  # read once per process (a scan's resolve stage needs it anyway): start-up
    start = time.perf_counter()
    count = sum(isinstance(b, Bucket) for b in provider.buckets(Scope("azure", SUB)))
    return count, time.perf_counter() - start


def run_live(url: str) -> tuple[int, float]:
    return _scan(url)


def run_inventory(url: str) -> tuple[int, float]:
    return _scan(url, source="inventory")


def classify(line: str) -> str | None:
    method, _, target = line.partition(" ")
    if method == "POST" and "/providers/microsoft.resourcegraph/resources" in target.lower():
        return "resources.query"
    return classify_live(line)


def measure(label: str, fn: Any, stub_url: str, delay: float, log: Path, n: int) -> Run:
    with latency_proxy(stub_url, delay, log) as url:
        start = len(request_lines(log))
        (count, seconds), peak = in_child(fn, url)
        lines = request_lines(log, start)
    if count != n:
        raise RuntimeError(f"{label} at +{delay:g} ms counted {count} containers, not {n}")
    ops = by_operation(lines, classify)
    return Run(label, delay, count, seconds, sum(ops.values()), peak, ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20000], help="containers (20000)")
    parser.add_argument("--delay-ms", type=float, nargs="+", default=[0.0, 150.0])
    args = parser.parse_args()
    for n in args.n:
        accounts = (n + PER_ACCOUNT - 1) // PER_ACCOUNT
        runs: list[Run] = []
        with stub_process(n) as stub_url, tempfile.TemporaryDirectory() as d:
            log = Path(d) / "requests.log"
            for delay in args.delay_ms:
                for label, fn in (("live", run_live), ("inventory", run_inventory)):
                    runs.append(measure(label, fn, stub_url, delay, log, n))
        title = (
            f"Azure inventory source: {n} containers in {accounts} storage accounts, one "
            f"subscription, ARM stub behind the latency proxy "
            f"(load {Path('/proc/loadavg').read_text().split()[0]})"
        )
        print(table(title, runs))
        for run in runs:
            ops = ", ".join(f"{op} {k}" for op, k in run.operations.items())
            print(f"{run.label} at +{run.delay_ms:g} ms: {run.calls} calls ({ops})", flush=True)


if __name__ == "__main__":
    main()

"""GCS through Cloud Asset Inventory (``source = "inventory"``) vs the live path, counted and
timed at +0 ms and +150 ms per request (issue 16).

The estate is ``bench_gcp.estate(n)`` (mixed settings; a sixth of the buckets have uniform access
off, whose ACLs Cloud Asset Inventory does not record, so the inventory source reads those live
with one paged ``buckets.list``). It is served twice, each in its own process behind its own
``latency_proxy``: as ``assets.list`` by the plugin's stub (``asset_testing``, the published
response shapes, 1,000 assets a page) and as Cloud Storage by gcp-storage-emulator, whose bucket
list is paged 1,000 a page here as Cloud Storage pages it (the emulator itself answers one page).
Calls are counted from the proxies' logs (what the services received); each run is a fresh
spawned process (``benchkit.in_child``), so its peak RSS is its own.

* ``inventory``: ``GcpProvider`` with ``source = "inventory"``, the project, the two endpoints,
  every other setting at its default;
* ``live``: the same provider at ``source = "live"`` (``bench_gcp.run_plugin``).

Not run by the tests.

    .venv/bin/python benchmarks/bench_gcp_inventory.py --n 2000 20000 --delay-ms 0 150
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench_gcp import PROJECT, estate, run_plugin
from benchkit import in_child, latency_proxy, request_lines

NUMBER = "1234"  # testing.bucket_resource's projectNumber


def _serve_assets(n: int, port: Any) -> None:
    from residency_audit_gcp.asset_testing import AssetEstate, serve_asset_inventory
    from residency_audit_gcp.testing import iam_policy

    buckets, policies = estate(n)
    served = AssetEstate(read_time=None)
    served.add_project(PROJECT, NUMBER)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    served.read_time = now
    for b in buckets:
        served.add_bucket(b, PROJECT, policies.get(b["name"], iam_policy()), update_time=now)
    with serve_asset_inventory(served) as url:
        port.put(url)
        while True:
            time.sleep(3600)


def _serve_storage(data_dir: str, n: int, port: Any) -> None:
    from residency_audit_gcp.testing import serve_emulator

    buckets, policies = estate(n)
    with serve_emulator(Path(data_dir), buckets, policies, list_page_size=1000) as url:
        port.put(url)
        while True:
            time.sleep(3600)


@contextmanager
def served(target: Callable[..., None], *args: Any) -> Iterator[str]:
    ctx = multiprocessing.get_context("spawn")
    port: Any = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, port), daemon=True)
    proc.start()
    try:
        yield port.get(timeout=120)
    finally:
        proc.terminate()
        proc.join()


def run_inventory(assets_url: str, storage_url: str) -> tuple[int, float]:
    """The inventory source at default settings: (buckets, seconds)."""
    from residency_audit.catalog import load_catalog
    from residency_audit.model import Bucket
    from residency_audit_gcp import GcpProvider

    load_catalog()
    start = time.perf_counter()
    provider = GcpProvider.from_settings(
        {
            "projects": [PROJECT],
            "source": "inventory",
            "asset_endpoint": assets_url,
            "endpoint": storage_url,
        }
    )
    count = sum(isinstance(b, Bucket) for s in provider.scopes() for b in provider.buckets(s))
    return count, time.perf_counter() - start


def operation(line: str) -> str:
    """A logged request line -> the API method (CAI listings by asset type and content)."""
    from residency_audit_gcp.testing import json_api_method

    _, _, target = line.partition(" ")
    parts = urlsplit(target)
    if parts.path.endswith("/assets"):
        qs = parse_qs(parts.query)
        kind = qs.get("assetTypes", ["?"])[0].rsplit("/", 1)[-1]
        return f"assets.list {kind} {qs.get('contentType', ['?'])[0]}"
    return json_api_method(line)


def counted(lines: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        if line != "CONNECT":
            op = operation(line)
            out[op] = out.get(op, 0) + 1
    return out


def bench(n: int, delays: list[float], workdir: Path, live: bool = True) -> list[str]:
    rows: list[str] = []
    alog, slog = workdir / f"assets-{n}.log", workdir / f"storage-{n}.log"
    with (
        served(_serve_assets, n) as assets_upstream,
        served(_serve_storage, str(workdir / f"emu-{n}"), n) as storage_upstream,
    ):
        for delay in delays:
            times: dict[str, float] = {}
            for label in ("inventory", "live") if live else ("inventory",):
                a0, s0 = len(request_lines(alog)), len(request_lines(slog))
                with (
                    latency_proxy(assets_upstream, delay, alog) as assets_url,
                    latency_proxy(storage_upstream, delay, slog) as storage_url,
                ):
                    if label == "inventory":
                        (count, seconds), peak = in_child(run_inventory, assets_url, storage_url)
                    else:
                        (count, seconds), peak = in_child(run_plugin, storage_url)
                if count != n:
                    raise RuntimeError(f"{label} at +{delay:g} ms read {count} of {n}")
                ops = counted(request_lines(alog, a0) + request_lines(slog, s0))
                times[label] = seconds
                calls = sum(ops.values())
                rows.append(
                    f"{n:>7} {label:<10}{delay:>6g}{seconds:>10.2f}{calls:>8}"
                    f"{peak:>10.0f}   " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items()))
                )
            if live:
                rows.append(
                    f"{n:>7} live/inventory at +{delay:g} ms: "
                    f"{times['live'] / times['inventory']:.1f}x"
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[2000], help="buckets")
    parser.add_argument("--delay-ms", type=float, nargs="+", default=[0.0, 150.0])
    parser.add_argument("--inventory-only", action="store_true", help="skip the live runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        print(f"{'buckets':>7} {'run':<10}{'+ms':>6}{'seconds':>10}{'calls':>8}{'RSS MiB':>10}")
        for n in args.n:
            for row in bench(n, args.delay_ms, Path(d), live=not args.inventory_only):
                print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""GCS benchmark: the plugin at default settings vs a raw 32-thread loop of the same reads, at
+0 ms and +150 ms per request (issue 14, parts 3 and 5).

Seeds gcp-storage-emulator (through its metadata file) with N buckets of mixed settings, served
by a threaded server in its own process, and puts ``latency_proxy`` in front of it. Every run,
at +0 ms too, goes through the proxy (at delay 0 it only relays), so the calls are counted from
the proxy's log, which is the emulator's request log: what the emulator received, retries
included. Each run is a fresh spawned process (``benchkit.in_child``), so its peak RSS is its own.

* ``plugin``: ``GcpProvider.from_settings`` with only the project and the endpoint (every other
  setting at its default), ``scopes()`` and ``buckets()`` consumed to the end, normalized;
* ``raw loop``: a plain google-cloud-storage ``Client`` with its connection pool sized to 32,
  ``list_buckets(projection="full")``, then ``get_iam_policy(requested_policy_version=3)`` for
  every bucket on ``ThreadPoolExecutor(32)``. Its bucket-metadata cache is off, as the plugin's
  is: with it on, google-cloud-storage 3.x re-reads every bucket in a background thread, which are
  not the reads being compared.

Each run's seconds start before the client is built (the imports and the region catalog, read
once per process, before the clock) and end when the last bucket is read. The
lines after the table give the connections each run opened (the proxy's ``CONNECT`` lines): a
connection pool smaller than the thread count shows up there as churn. Start-up is the common
empty-estate figure (``benchkit.empty_scan_startup``), and beside it a whole ``residency-audit
scan`` of one GCP project with no buckets (the plugin's own share). Not run by the tests.

    .venv/bin/python benchmarks/bench_gcp.py --n 500 2000 --delay-ms 0 150
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchkit import (
    RAW_THREADS,
    Run,
    by_operation,
    empty_scan_startup,
    in_child,
    latency_proxy,
    request_lines,
    startup_seconds,
    table,
)

PROJECT = "bench-proj"


def estate(n: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """N buckets of mixed settings; every seventh grants allUsers through IAM."""
    # imported here: the runs' children must not load the plugin (the raw loop's peak RSS)
    from residency_audit_gcp.testing import bucket_resource, iam_policy

    kinds: list[Callable[[str], dict[str, Any]]] = [
        lambda n: bucket_resource(n, "ASIA-NORTHEAST1", pap="enforced"),
        lambda n: bucket_resource(n, "ASIA1", location_type="dual-region"),
        lambda n: bucket_resource(
            n,
            "ASIA",
            location_type="dual-region",
            data_locations=["ASIA-EAST1", "ASIA-NORTHEAST1"],
        ),
        lambda n: bucket_resource(n, "ASIA", location_type="multi-region", labels={"team": "x"}),
        lambda n: bucket_resource(
            n, "US-CENTRAL1", kms_key="projects/k/locations/asia-east2/keyRings/r/cryptoKeys/k"
        ),
        lambda n: bucket_resource(
            n,
            "EU",
            location_type="multi-region",
            ubla=False,
            acl=[{"entity": "allUsers", "role": "READER"}],
        ),
    ]
    buckets = [kinds[i % len(kinds)](f"bench-{i:06d}") for i in range(n)]
    public = iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3)
    return buckets, {b["name"]: public for b in buckets[::7]}


def _serve(data_dir: str, n: int, port: Any) -> None:
    from residency_audit_gcp.testing import serve_emulator

    buckets, policies = estate(n)
    with serve_emulator(Path(data_dir), buckets, policies) as url:
        port.put(url)
        while True:
            time.sleep(3600)


@contextmanager
def emulator(data_dir: Path, n: int) -> Iterator[str]:
    """The seeded emulator (threaded, as the plugin's tests serve it) in its own process, so its
    CPU time does not share the measured client's GIL."""
    ctx = multiprocessing.get_context("spawn")
    port: Any = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(str(data_dir), n, port), daemon=True)
    proc.start()
    try:
        url = port.get(timeout=60)
        # one list and one policy read first, so neither measured run pays the emulator's warm-up
        with urllib.request.urlopen(f"{url}/storage/v1/b?project={PROJECT}", timeout=60) as r:
            names = [b["name"] for b in json.load(r).get("items", [])[:1]]
        for name in names:
            urllib.request.urlopen(f"{url}/storage/v1/b/{name}/iam", timeout=60).close()
        yield url
    finally:
        proc.terminate()
        proc.join()


def classify(line: str) -> str | None:
    """A logged request line's Cloud Storage JSON API method."""
    from residency_audit_gcp.testing import json_api_method

    return json_api_method(line)


def run_plugin(url: str) -> tuple[int, float]:
    """The plugin at default settings: (buckets, seconds)."""
    from residency_audit.catalog import load_catalog
    from residency_audit.model import Bucket
    from residency_audit_gcp import GcpProvider

    load_catalog()  # read once per process (a scan's resolve stage needs it anyway): start-up
    start = time.perf_counter()
    provider = GcpProvider.from_settings({"projects": [PROJECT], "endpoint": url})
    count = sum(isinstance(b, Bucket) for s in provider.scopes() for b in provider.buckets(s))
    return count, time.perf_counter() - start


def run_raw(url: str) -> tuple[int, float]:
    """The same reads with plain google-cloud-storage on 32 threads: (buckets, seconds)."""
    import requests
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.storage import Client  # type: ignore[import-untyped]

    start = time.perf_counter()
    client = Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": url},
    )
    client._bucket_metadata_cache = None  # no background re-reads (see the module docstring)
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=RAW_THREADS)  # one connection a thread
    client._http.mount("http://", adapter)
    client._http.mount("https://", adapter)

    def read(bucket: Any) -> None:
        bucket.get_iam_policy(requested_policy_version=3).to_api_repr()

    buckets = list(client.list_buckets(project=PROJECT, projection="full"))
    with ThreadPoolExecutor(RAW_THREADS) as pool:
        list(pool.map(read, buckets))
    client.close()
    return len(buckets), time.perf_counter() - start


def measure(
    label: str, fn: Callable[[str], tuple[int, float]], upstream: str, delay: float, log: Path
) -> tuple[Run, int]:
    """One run through the proxy: the Run, and the connections it opened."""
    first = len(request_lines(log))
    with latency_proxy(upstream, delay, log) as url:
        (count, seconds), peak = in_child(fn, url)
    lines = request_lines(log, first)
    calls = sum(line != "CONNECT" for line in lines)
    run = Run(label, delay, count, seconds, calls, peak, by_operation(lines, classify))
    return run, lines.count("CONNECT")


def gcp_startup(workdir: Path) -> float:
    """A whole ``residency-audit scan`` of one GCP project with no buckets (best of five): the
    common empty-estate start-up plus loading the plugin and one ``buckets.list``."""
    with emulator(workdir / "empty", 0) as url:
        config = workdir / "startup.toml"
        config.write_text(
            f'[providers.gcp]\nprojects = ["{PROJECT}"]\nendpoint = "{url}"\n', encoding="utf-8"
        )
        cli = Path(sys.executable).with_name("residency-audit")
        argv = [str(cli), "scan", "--config", str(config)]
        argv += ["--output", str(workdir / "out"), "--no-history", "--quiet"]
        return startup_seconds(argv, repeat=5, cwd=workdir)


def bench(n: int, delays: Sequence[float], workdir: Path) -> tuple[list[Run], list[str]]:
    runs: list[Run] = []
    notes: list[str] = []
    log = workdir / f"requests-{n}.log"
    with emulator(workdir / f"estate-{n}", n) as upstream:
        for delay in delays:
            for label, fn in (("plugin", run_plugin), ("raw loop", run_raw)):
                run, connections = measure(label, fn, upstream, delay, log)
                if run.buckets != n:
                    raise RuntimeError(f"{label} at +{delay:g} ms read {run.buckets} of {n}")
                runs.append(run)
                notes.append(f"{label} at +{delay:g} ms opened {connections} connection(s)")
    return runs, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[500], help="buckets (default 500)")
    parser.add_argument(
        "--delay-ms", type=float, nargs="+", default=[0.0, 150.0], help="default: 0 150"
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        start = None if args.no_startup else empty_scan_startup()
        gcp_start = None if args.no_startup else gcp_startup(workdir)
        for n in args.n:
            runs, notes = bench(n, args.delay_ms, workdir)
            title = f"GCS: {n} buckets, gcp-storage-emulator (threaded) behind latency_proxy"
            print(table(title, runs, startup=start))
            if gcp_start is not None:
                notes.append(
                    f"start-up (scan of one GCP project with no buckets): {gcp_start:.2f} s"
                )
            print("\n" + "\n".join(notes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

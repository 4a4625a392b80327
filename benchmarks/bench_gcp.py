"""GCS benchmark: the plugin vs a plain sequential loop of the same SDK calls, on a seeded emulator.

Seeds gcp-storage-emulator (through its metadata file) with N buckets of mixed settings, then
measures buckets/second and HTTP requests per bucket for

* ``plugin``: ``GcpProvider.buckets()`` (one ``buckets.list?projection=full`` + IAM reads on a
  bounded worker pool), normalized to the model;
* ``plain loop``: ``list_buckets(projection="full")`` then ``get_iam_policy`` bucket after bucket.

The emulator answers from memory in about a millisecond, so a second round adds a simulated
round-trip time (``--rtt-ms``, default 20) to every request, closer to Cloud Storage over the
internet; that is where bounded concurrency pays. The server is the emulator's own request
handler with keep-alive, on a threading HTTP server in its own process (the stock server serves
one request at a time and closes every connection). Not run by the tests.

    .venv/bin/python benchmarks/bench_gcp.py --n 2000
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client  # type: ignore[import-untyped]

from residency_audit.model import Bucket
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.testing import bucket_resource, iam_policy, write_seed

PROJECT = "bench-proj"
KINDS: list[Callable[[str], dict[str, Any]]] = [
    lambda n: bucket_resource(n, "ASIA-NORTHEAST1", pap="enforced"),
    lambda n: bucket_resource(n, "ASIA1", location_type="dual-region"),
    lambda n: bucket_resource(
        n, "ASIA", location_type="dual-region", data_locations=["ASIA-EAST1", "ASIA-NORTHEAST1"]
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


def seed(data_dir: Path, n: int) -> None:
    buckets = [KINDS[i % len(KINDS)](f"bench-{i:06d}") for i in range(n)]
    public = iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3)
    write_seed(data_dir, buckets, {b["name"]: public for b in buckets[::7]})


def _serve(data_dir: str, rtt_ms: float, port: Any) -> None:
    from gcp_storage_emulator.server import RequestHandler  # type: ignore[import-untyped]
    from gcp_storage_emulator.storage import Storage  # type: ignore[import-untyped]

    class Delayed(RequestHandler):  # type: ignore[misc]
        protocol_version = "HTTP/1.1"  # keep-alive, as Cloud Storage does (responses are sized)
        disable_nagle_algorithm = True  # headers and body are written separately

        def do_GET(self) -> None:
            if rtt_ms:
                time.sleep(rtt_ms / 1000)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    storage = Storage(use_memory_fs=False, data_dir=data_dir)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Delayed, storage))
    httpd.daemon_threads = True
    port.put(httpd.server_address[1])
    httpd.serve_forever()


@contextmanager
def threaded_emulator(data_dir: Path, rtt_ms: float) -> Iterator[str]:
    """The emulator in its own process, so its CPU time does not share the client's GIL."""
    port: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve, args=(str(data_dir), rtt_ms, port), daemon=True)
    proc.start()
    try:
        yield f"http://127.0.0.1:{port.get(timeout=30)}"
    finally:
        proc.terminate()
        proc.join()


def run_plugin(url: str, workers: int) -> tuple[int, int, float]:
    calls: list[str] = []
    provider = GcpProvider.from_settings(
        {"projects": [PROJECT], "endpoint": url, "max_workers": workers},
        observer=lambda m, u: calls.append(u),
    )
    start = time.perf_counter()
    (scope,) = provider.scopes()
    count = sum(isinstance(b, Bucket) for b in provider.buckets(scope))
    return count, len(calls), time.perf_counter() - start


def run_plain(url: str) -> tuple[int, int, float]:
    calls: list[str] = []
    client = Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": url},
    )
    client._bucket_metadata_cache = None  # same calls as the plugin (no background re-fetch)
    client._http.hooks["response"].append(lambda r, *a, **k: calls.append(r.url))
    start = time.perf_counter()
    count = 0
    for bucket in client.list_buckets(project=PROJECT, projection="full"):
        bucket.get_iam_policy(requested_policy_version=3).to_api_repr()
        count += 1
    return count, len(calls), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="buckets to seed (default 2000)")
    parser.add_argument("--workers", type=int, default=16, help="plugin max_workers (default 16)")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="simulated round trip (ms)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        seed(Path(d), args.n)
        for rtt in (0.0, args.rtt_ms):
            with threaded_emulator(Path(d), rtt) as url:
                runs = [
                    (f"plugin ({args.workers} workers)", run_plugin(url, args.workers)),
                    ("plain sequential loop", run_plain(url)),
                ]
            for name, (count, calls, secs) in runs:
                rows.append((f"{rtt:g}", name, count, calls / max(count, 1), count / secs, secs))
    print(f"GCS benchmark: {args.n} buckets, gcp-storage-emulator (threaded), one project")
    head = ("rtt ms", "variant", "buckets", "calls/bucket", "buckets/s", "seconds")
    print(f"{head[0]:>6}  {head[1]:<24} {head[2]:>7} {head[3]:>12} {head[4]:>10} {head[5]:>8}")
    for rtt_s, name, count, per, rate, secs in rows:
        print(f"{rtt_s:>6}  {name:<24} {count:>7} {per:>12.3f} {rate:>10.0f} {secs:>8.2f}")


if __name__ == "__main__":
    main()

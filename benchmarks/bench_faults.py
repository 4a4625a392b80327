"""Benchmark the AWS plugin through injected faults: does a long faulty scan still read everything?

Seeds a moto_server (its own process) with N buckets, then scans the account through the
fault-injecting proxy (``residency_audit.faultproxy``): once clean (rate 0, the baseline), then at
each ``--rates`` share of requests answered with SlowDown (503), InternalError (500),
AccessDenied (403), a connection reset or a stall. For each run it reports the time (and its ratio
to the clean run), the buckets present, the share of the settings the clean run read that this run
read too, and whether every setting it did not read is a gap with its reason.

AccessDenied is not transient, so no retry can read what it refuses: the settings share is given
with and without the reads the injected AccessDenied refused. ``--latency-ms`` adds a client-side
delay per HTTP attempt to stand in for the round trip to real AWS.

    .venv/bin/python benchmarks/bench_faults.py --n 200 --rates 0.2 0.5
    .venv/bin/python benchmarks/bench_faults.py --n 200 --read-timeout 2 --stall 30
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
from dataclasses import dataclass

from bench_aws import REGIONS, Counter, moto_process, seed

from residency_audit.faultproxy import FAULTS, FaultProxy
from residency_audit.model import Bucket
from residency_audit_aws import AwsProvider
from residency_audit_aws.testing import fake_profile


@dataclass
class Run:
    label: str
    seconds: float
    buckets: dict[str, Bucket]
    failed_scopes: int
    injected: dict[str, int]


def scan(url: str, args: argparse.Namespace, rate: float, label: str) -> Run:
    faults = tuple(args.faults)
    with FaultProxy(url, rate=rate, faults=faults, stall=args.stall, seed=args.seed) as proxy:
        provider = AwsProvider.from_settings(
            {
                "profile": "bench",
                "endpoint_url": proxy.url,
                "regions": REGIONS,
                "max_workers": args.workers,
                "read_timeout": args.read_timeout,
            },
            session_factory=Counter(args.latency_ms / 1000),
        )
        start = time.perf_counter()
        buckets: dict[str, Bucket] = {}
        failed = 0
        try:
            for scope in provider.scopes():
                try:
                    for item in provider.buckets(scope):
                        if isinstance(item, Bucket):
                            buckets[item.name] = item
                except Exception as exc:  # a failed scope is what we measure, not a crash
                    print(f"  {label}: scope {scope.id} failed: {exc}", flush=True)
                    failed += 1
        except Exception as exc:
            print(f"  {label}: scopes could not be listed: {exc}", flush=True)
            failed += 1
        seconds = time.perf_counter() - start
        return Run(label, seconds, buckets, failed, {f: proxy.counts[f] for f in FAULTS})


def unread(bucket: Bucket, denied: bool = True) -> set[str]:
    """The settings of ``bucket`` that were not read (its gap fields)."""
    return {g.field for g in bucket.gaps if denied or g.error_code != "AccessDenied"}


def report(clean: Run, run: Run, fields: set[str]) -> str:
    present = len(set(clean.buckets) & set(run.buckets))
    read_clean = read_both = read_both_transient = 0
    for name, base in clean.buckets.items():
        wanted = fields - unread(base)
        read_clean += len(wanted)
        other = run.buckets.get(name)
        if other is not None:
            read_both += len(wanted - unread(other))
            denied = unread(other) - unread(other, denied=False)
            read_both_transient += len(wanted - (unread(other) - denied))
    denied_reads = sum(
        1 for b in run.buckets.values() for g in b.gaps if g.error_code == "AccessDenied"
    )
    gaps = [g for b in run.buckets.values() for g in b.gaps]
    unknown = [loc for b in run.buckets.values() for loc in b.locations if loc.region is None]
    explained = all(g.reason for g in gaps) and all(loc.unknown_reason for loc in unknown)
    share = read_both / read_clean if read_clean else 1.0
    share_transient = read_both_transient / read_clean if read_clean else 1.0
    injected = ", ".join(f"{k} {v}" for k, v in run.injected.items() if v)
    return (
        f"{run.label:>10} | {run.seconds:7.1f}s | {run.seconds / clean.seconds:5.2f}x | "
        f"{present}/{len(clean.buckets)} buckets | failed scopes {run.failed_scopes} | "
        f"settings read {share:.2%} (excl. injected AccessDenied {share_transient:.2%}, "
        f"{denied_reads} denied) | gaps {len(gaps)}, unknown locations {len(unknown)}, "
        f"all with reasons: {explained} | injected: {injected or '-'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.2, 0.5])
    parser.add_argument("--faults", nargs="+", default=list(FAULTS), choices=FAULTS)
    parser.add_argument("--stall", type=float, default=30.0, help="seconds a stall lasts")
    parser.add_argument("--read-timeout", type=float, default=20.0, help="the plugin's setting")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--stock-quota",
        action="store_true",
        help="botocore's own retry quota (no refill by answered calls), for comparison",
    )
    args = parser.parse_args()
    if args.stock_quota:
        from residency_audit_aws import client

        client._install_retry_quota = lambda *_: None  # type: ignore[assignment]
    with (
        moto_process() as url,
        fake_profile(pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-faults", "bench"),
    ):
        t = time.perf_counter()
        seed(url, args.n)
        print(f"seeded {args.n} buckets in {time.perf_counter() - t:.1f}s", flush=True)
        print(
            f"faults {', '.join(args.faults)}; stall {args.stall:g}s; read timeout "
            f"{args.read_timeout:g}s; latency {args.latency_ms:g} ms; {args.workers} workers; "
            f"retry quota {'botocore stock' if args.stock_quota else 'refilled by answers'}",
            flush=True,
        )
        clean = scan(url, args, 0.0, "clean")
        runs = [scan(url, args, rate, f"{rate:.0%}") for rate in args.rates]
    # every setting any run could not read is one the plugin reads in principle
    fields = {g.field for r in (clean, *runs) for b in r.buckets.values() for g in b.gaps}
    print(report(clean, clean, fields), flush=True)
    for run in runs:
        print(report(clean, run, fields), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the AWS plugin against a plain sequential loop of the same boto3 calls.

Seeds a moto_server (its own process, so it does not share our GIL) with N buckets of mixed
settings, then scans the account (1) with the plugin and (2) with a straightforward sequential
loop making the same per-bucket calls. Reports buckets/second and API calls per bucket.

``--latency-ms`` adds a client-side delay to every HTTP attempt to stand in for the network
round trip to real AWS (moto on loopback answers in ~3 ms; S3 from Tokyo is 10-50 ms).

    .venv/bin/python benchmarks/bench_aws.py --n 2000 --latency-ms 0 20
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config

from residency_audit.model import Bucket
from residency_audit_aws import AwsProvider
from residency_audit_aws.testing import fake_profile

REGIONS = ["us-east-1", "ap-northeast-1", "ap-east-1", "eu-west-1"]
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def seed(url: str, n: int) -> None:
    session = boto3.Session(
        aws_access_key_id="AKIABENCHBENCH000000",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    cfg = Config(max_pool_connections=16, retries={"max_attempts": 3})
    clients = {
        r: session.client("s3", region_name=r, endpoint_url=url, config=cfg) for r in REGIONS
    }
    keys = {
        r: session.client("kms", region_name=r, endpoint_url=url).create_key()["KeyMetadata"]["Arn"]
        for r in REGIONS
    }
    for r in REGIONS:  # replication destinations
        kw = {} if r == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": r}}
        clients[r].create_bucket(Bucket=f"bench-dest-{r}", **kw)

    def one(i: int) -> None:
        region = REGIONS[i % len(REGIONS)]
        s3, name = clients[region], f"bench-{i:05d}"
        kw: dict[str, Any] = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        if i % 10 == 0:
            kw["ACL"] = "public-read"
        s3.create_bucket(Bucket=name, **kw)
        s3.put_bucket_tagging(
            Bucket=name,
            Tagging={
                "TagSet": [
                    {
                        "Key": "data-classification",
                        "Value": ["sensitive", "internal", "public"][i % 3],
                    }
                ]
            },
        )
        if i % 4 == 0:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": keys[REGIONS[(i // 4) % 4]],
                            }
                        }
                    ]
                },
            )
        if i % 3 == 0:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
            )
        if i % 5 == 0:
            dest = REGIONS[(i // 5) % 4]
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_replication(
                Bucket=name,
                ReplicationConfiguration={
                    "Role": "arn:aws:iam::123456789012:role/r",
                    "Rules": [
                        {
                            "ID": "r",
                            "Priority": 1,
                            "Status": "Enabled",
                            "Filter": {},
                            "DeleteMarkerReplication": {"Status": "Disabled"},
                            "Destination": {"Bucket": f"arn:aws:s3:::bench-dest-{dest}"},
                        }
                    ],
                },
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


class Counter:
    """A session factory counting API calls and adding the simulated round trip per attempt."""

    def __init__(self, latency: float) -> None:
        self.calls = 0
        self.latency = latency
        self._lock = threading.Lock()

    def _count(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1

    def _delay(self, **_: Any) -> None:
        if self.latency:
            time.sleep(self.latency)

    def __call__(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(**kwargs)
        session.events.register("before-call", self._count)
        session.events.register("before-send", self._delay)
        return session


def run_plugin(url: str, latency: float, workers: int) -> tuple[int, int, float]:
    counter = Counter(latency)
    provider = AwsProvider.from_settings(
        {"profile": "bench", "endpoint_url": url, "regions": REGIONS, "max_workers": workers},
        session_factory=counter,
    )
    start = time.perf_counter()
    count = sum(isinstance(item, Bucket) for s in provider.scopes() for item in provider.buckets(s))
    return count, counter.calls, time.perf_counter() - start


def run_sequential(url: str, latency: float) -> tuple[int, int, float]:
    """The same reads, one after another, with no caching and no concurrency."""
    counter = Counter(latency)
    session = counter(profile_name="bench")
    cfg = Config(s3={"addressing_style": "path"})

    def client(service: str, region: str) -> Any:
        return session.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=url, config=cfg
        )

    start = time.perf_counter()
    s3 = client("s3", "us-east-1")
    backup = {r: client("backup", r) for r in REGIONS}
    kms = {r: client("kms", r) for r in REGIONS}
    client("sts", "us-east-1").get_caller_identity()
    for region in REGIONS:
        backup[region].list_backup_plans()

    def safe(fn: Callable[..., Any], **kw: Any) -> Any:
        try:
            return fn(**kw)
        except Exception:
            return None

    buckets = s3.list_buckets()["Buckets"]
    for b in buckets:
        name = b["Name"]
        safe(s3.get_bucket_location, Bucket=name)
        safe(s3.get_bucket_tagging, Bucket=name)
        enc = safe(s3.get_bucket_encryption, Bucket=name)
        if enc:
            rule = enc["ServerSideEncryptionConfiguration"]["Rules"][0]
            key = rule["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID")
            if key:
                safe(kms[key.split(":")[3]].describe_key, KeyId=key)
        repl = safe(s3.get_bucket_replication, Bucket=name)
        if repl:
            for rule in repl["ReplicationConfiguration"]["Rules"]:
                dest = rule["Destination"]["Bucket"].split(":::")[1]
                safe(s3.get_bucket_location, Bucket=dest)
        for op in (
            "get_public_access_block",
            "get_bucket_policy_status",
            "get_bucket_acl",
            "get_bucket_ownership_controls",
            "get_bucket_policy",
        ):
            safe(getattr(s3, op), Bucket=name)
    return len(buckets), counter.calls, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0])
    args = parser.parse_args()
    rows = []
    with (
        moto_process() as url,
        fake_profile(pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-aws", "bench"),
    ):
        t = time.perf_counter()
        seed(url, args.n)
        print(
            f"seeded {args.n} buckets (+{len(REGIONS)} destinations) in "
            f"{time.perf_counter() - t:.1f}s",
            flush=True,
        )
        for latency in args.latency_ms:
            runs: list[tuple[str, Callable[[], tuple[int, int, float]]]] = [
                (
                    f"plugin ({args.workers} workers)",
                    functools.partial(run_plugin, url, latency / 1000, args.workers),
                ),
                ("sequential loop", functools.partial(run_sequential, url, latency / 1000)),
            ]
            for label, run in runs:
                count, calls, seconds = run()
                rows.append((label, latency, count, seconds, count / seconds, calls / count))
                print(f"  done: {label} at +{latency:g} ms", flush=True)
    print(
        f"\n{'mode':<24}{'rtt+ms':>7}{'buckets':>9}{'seconds':>9}{'buckets/s':>11}"
        f"{'calls/bucket':>14}"
    )
    for label, latency, count, seconds, rate, per in rows:
        print(f"{label:<24}{latency:>7g}{count:>9}{seconds:>9.1f}{rate:>11.1f}{per:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

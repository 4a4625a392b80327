"""AWS at real distance: the plugin at default settings against a raw 32-thread boto3 loop.

Seeds a moto_server (its own process, so it does not share our GIL) with N buckets over five
regions (public ACLs, KMS keys in other regions, bucket-level Block Public Access, replication to
four destination buckets), then for each added round trip (``--delay-ms``, default 0 and 150:
Tokyo to us-east-1) measures

* ``plugin``: ``AwsProvider`` at default settings (only the endpoint, profile and regions set), in
  a fresh process, with no classification tags used (a config with ``classification.keys = []``);
* ``+tags``: the same with classification keys configured (each bucket's tags read too);
* ``raw loop``: 32 threads each reading, bucket after bucket, the seven reads that carry the
  residency answer (location, encryption, replication, public access block, policy status, ACL,
  ownership controls) with one boto3 client per region, connection pools of 32;

then turns the account-level Block Public Access fully on and scans again (``acct block``).

At +0 the clients talk to moto directly and calls are counted client-side (botocore's
``before-send``, once per HTTP attempt); with a delay they go through ``latency_proxy.py`` (one
round trip per request and one more per new connection) and calls by operation are counted from
its log of the requests the emulator received. Each run reports wall time, calls per bucket by
operation, peak RSS (of its own process) and the ratio to the raw loop; start-up is the whole
``residency-audit scan`` of an account with no buckets, beside the core's empty estate
(``benchkit.empty_scan_startup``). Not run by the tests.

    .venv/bin/python benchmarks/bench_aws.py --n 500 2000 --delay-ms 0 150
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
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
from botocore.config import Config

from residency_audit_aws.testing import default_encryption, replication_rule

REGIONS = ["us-east-1", "ap-northeast-1", "ap-east-1", "eu-west-1", "ap-southeast-1"]
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"aws_access_key_id": "AKIABENCHBENCH000000", "aws_secret_access_key": "bench"}


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


def _session(url: str | None = None, account: str = ACCOUNT) -> boto3.Session:
    """The caller's session, or (``account`` other than moto's default) one in that account
    through the audit role, as the plugin enters it."""
    if account == ACCOUNT:
        return boto3.Session(**CREDENTIALS, region_name="us-east-1")
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=url, **CREDENTIALS)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/ResidencyAuditReadOnly", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def member_accounts(count: int) -> list[str]:
    """moto's default account first, then made-up member accounts."""
    return [ACCOUNT, *(f"{100000000000 + i:012d}" for i in range(1, count))]


def seed(url: str, n: int, account: str = ACCOUNT) -> None:
    session = _session(url, account)
    tag = "" if account == ACCOUNT else f"{account[-4:]}-"  # bucket names are global
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
        clients[r].create_bucket(Bucket=f"bench-dest-{tag}{r}", **kw)

    def one(i: int) -> None:
        region = REGIONS[i % len(REGIONS)]
        s3, name = clients[region], f"bench-{tag}{i:05d}"
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
                ServerSideEncryptionConfiguration=default_encryption(
                    "aws:kms", keys[REGIONS[(i // 4) % len(REGIONS)]]
                ),
            )
        if i % 3 == 0:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
            )
        if i % 5 == 0:
            dest = REGIONS[(i // 5) % len(REGIONS)]
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_replication(
                Bucket=name,
                ReplicationConfiguration={
                    "Role": f"arn:aws:iam::{account}:role/r",
                    "Rules": [replication_rule(1, f"bench-dest-{tag}{dest}")],
                },
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def set_account_block(url: str, on: bool, account: str = ACCOUNT) -> None:
    control = _session(url, account).client("s3control", region_name="us-east-1", endpoint_url=url)

    def no_account_host(request: Any, **_: Any) -> None:  # as the plugin's client does
        request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)

    control.meta.events.register_first("before-send.s3-control", no_account_host)
    if on:
        control.put_public_access_block(
            AccountId=account, PublicAccessBlockConfiguration=dict.fromkeys(FLAGS, True)
        )
    else:
        with contextlib.suppress(Exception):
            control.delete_public_access_block(AccountId=account)


class Counter:
    """A session factory counting HTTP attempts by operation (client-side)."""

    def __init__(self) -> None:
        self.by_operation: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def _count(self, model: Any = None, **_: Any) -> None:
        with self._lock:
            self.by_operation[model.name if model is not None else "?"] += 1

    def __call__(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(**kwargs)
        session.events.register("before-call", self._count)
        return session


Result = tuple[int, dict[str, int], float]  # buckets, client-side calls by operation, seconds


def run_plugin(url: str, tag_keys: tuple[str, ...], accounts: int = 1) -> Result:
    """The plugin at default settings, as a scan builds it (told which tag keys the scan uses);
    with more than one account, those accounts named, entered through the audit role, and
    scanned one after another (as bench_aws_inventory.py scans its accounts)."""
    from residency_audit.model import Bucket
    from residency_audit_aws import AwsProvider

    counter = Counter()
    settings: dict[str, Any] = {"profile": "bench", "endpoint_url": url, "regions": REGIONS}
    if accounts > 1:
        settings["include_accounts"] = member_accounts(accounts)
    provider = AwsProvider.from_settings(settings, session_factory=counter)
    provider.use_tag_keys(frozenset(tag_keys))
    start = time.perf_counter()
    count, truncated = 0, []
    for scope in provider.scopes():
        for item in provider.buckets(scope):
            if isinstance(item, Bucket):
                count += 1
            elif item.kind == "listing-possibly-truncated":
                truncated.append(scope.id)
    took = time.perf_counter() - start
    if truncated:  # moto lists at most 10,000 buckets an account, with no continuation token
        print(
            f"  WARNING: the listing of {', '.join(truncated)} may be truncated: this run measured "
            f"{count} buckets; use --accounts to keep each account at 10,000 or fewer",
            flush=True,
        )
    return count, dict(counter.by_operation), took


RAW_READS = (
    "get_bucket_encryption",
    "get_bucket_replication",
    "get_public_access_block",
    "get_bucket_policy_status",
    "get_bucket_acl",
    "get_bucket_ownership_controls",
)


def run_raw(url: str) -> Result:
    """The floor: 32 threads, each bucket's seven reads one after another, nothing else."""
    counter = Counter()
    session = counter(profile_name="bench")
    cfg = Config(
        s3={"addressing_style": "path"},
        max_pool_connections=RAW_THREADS,
        retries={"mode": "standard", "max_attempts": 5},
    )
    clients = {
        r: session.client("s3", region_name=r, endpoint_url=url, config=cfg)  # type: ignore[call-overload]
        for r in REGIONS
    }
    home = clients["us-east-1"]
    start = time.perf_counter()
    buckets = home.list_buckets()["Buckets"]

    def one(bucket: dict[str, Any]) -> None:
        name = bucket["Name"]
        region = home.get_bucket_location(Bucket=name)["LocationConstraint"] or "us-east-1"
        s3 = clients[region]
        for op in RAW_READS:
            with contextlib.suppress(Exception):
                getattr(s3, op)(Bucket=name)

    with ThreadPoolExecutor(RAW_THREADS) as pool:
        list(pool.map(one, buckets))
    return len(buckets), dict(counter.by_operation), time.perf_counter() - start


_S3_SUBRESOURCE = re.compile(r"\?([A-Za-z]+)")
_S3_OPS = {
    "location": "GetBucketLocation",
    "tagging": "GetBucketTagging",
    "encryption": "GetBucketEncryption",
    "replication": "GetBucketReplication",
    "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus",
    "publicAccessBlock": "GetPublicAccessBlock",
    "acl": "GetBucketAcl",
    "ownershipControls": "GetBucketOwnershipControls",
}


def classify(line: str) -> str | None:
    """A logged request line -> the S3 / S3 Control / Backup / KMS / STS operation."""
    method, target, *rest = line.split()
    if rest:  # X-Amz-Target: "TrentService.DescribeKey"
        return rest[0].rsplit(".", 1)[-1]
    if target.startswith("/v20180820/configuration/publicAccessBlock"):
        return "s3control:GetPublicAccessBlock"
    if target.startswith("/v20180820/mrap"):
        return "ListMultiRegionAccessPoints"
    if target.startswith("/backup/plans"):
        return "ListBackupPlans"
    if method == "POST" and target == "/":
        return "GetCallerIdentity"  # STS's query protocol: the action is in the body
    if target.split("?")[0] == "/":
        return "ListBuckets"
    if method == "HEAD":
        return "HeadBucket"
    match = _S3_SUBRESOURCE.search(target)
    return _S3_OPS.get(match[1], match[1]) if match else f"{method} {target}"


def measure(
    label: str, delay_ms: float, url: str, log: pathlib.Path, fn: Callable[..., Result], *a: Any
) -> Run:
    start_line = len(request_lines(log))
    if delay_ms:
        with latency_proxy(url, delay_ms, log) as proxied:
            (count, client_ops, seconds), rss = in_child(fn, proxied, *a)
        ops = by_operation(request_lines(log, start_line), classify)
    else:
        (count, client_ops, seconds), rss = in_child(fn, url, *a)
        ops = dict(collections.Counter(client_ops).most_common())
    return Run(label, delay_ms, count, seconds, sum(ops.values()), rss, ops)


def startup(url: str, workdir: pathlib.Path) -> float:
    """``residency-audit scan`` of an account with no buckets: the whole command, best of 3."""
    config = workdir / "empty-aws.toml"
    config.write_text(
        f'[providers.aws]\nprofile = "bench"\nendpoint_url = "{url}"\n'
        f"regions = {REGIONS!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    cli = pathlib.Path(sys.executable).with_name("residency-audit")
    argv = [str(cli), "scan", "--config", str(config), "-o", str(workdir / "empty-out")]
    return startup_seconds([*argv, "--no-history", "-q"], cwd=workdir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[500])
    parser.add_argument("--delay-ms", type=float, nargs="+", default=[0.0, 150.0])
    parser.add_argument("--no-tags-run", action="store_true", help="skip the +tags runs")
    parser.add_argument(
        "--plugin-only",
        action="store_true",
        help="only the plugin's run at each delay (no raw loop, +tags or acct block): a large N",
    )
    parser.add_argument(
        "--account-block",
        action="store_true",
        help="with --plugin-only: the account's Block Public Access fully on for the run",
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=1,
        help="with --plugin-only: spread N buckets over this many accounts (moto lists at most "
        "10,000 buckets an account, with no continuation token)",
    )
    args = parser.parse_args()
    from residency_audit_aws.testing import fake_profile

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-aws-"))
    for n in args.n:
        runs: list[Run] = []
        with moto_process() as url, fake_profile(tmp / f"profile-{n}", "bench"):
            boot = startup(url, tmp)  # before the seed: the account is empty
            t = time.perf_counter()
            accounts = member_accounts(args.accounts if args.plugin_only else 1)
            for account in accounts:
                seed(url, n // len(accounts), account)
            took, load = time.perf_counter() - t, os.getloadavg()[0]
            print(f"seeded {n} buckets in {took:.1f}s; load {load:.1f}", flush=True)
            log = tmp / f"requests-{n}.log"
            blocked = args.plugin_only and args.account_block
            for account in accounts if blocked else ():
                set_account_block(url, True, account)
            label = "acct block" if blocked else "plugin"
            for delay in args.delay_ms:
                if not args.plugin_only:
                    runs.append(measure("raw loop", delay, url, log, run_raw))
                runs.append(measure(label, delay, url, log, run_plugin, (), len(accounts)))
                if not (args.no_tags_run or args.plugin_only):
                    keys = ("data-classification",)
                    runs.append(measure("+tags", delay, url, log, run_plugin, keys))
                print(f"  done +{delay:g} ms; load {os.getloadavg()[0]:.1f}", flush=True)
            if not args.plugin_only:
                set_account_block(url, True)
                for delay in args.delay_ms:
                    runs.append(measure("acct block", delay, url, log, run_plugin, ()))
                set_account_block(url, False)
        print(table(f"AWS, N = {n} (+{len(REGIONS)} destinations)", runs, startup=boot))
        print(f"start-up, the core's empty estate: {empty_scan_startup():.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

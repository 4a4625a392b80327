"""AWS through an AWS Config aggregator: calls, wall time and peak RSS for N buckets.

The plugin at default settings with ``source = "inventory"`` (the Select path, the default) scans
N buckets over ``--accounts`` accounts and two regions each. The aggregator is a local stub
speaking the Config JSON protocol (``StarlingDoveService.SelectAggregateResourceConfig``: the
census query, then each account's items in pages of 100 with NextToken), serving "full-featured"
configuration items: every supplementary entry the residency answer needs, in AWS Config's own
shapes (providers/aws/tests/config_rows.py). Every other request -- STS, AssumeRole, the
accounts' Block Public Access, Multi-Region Access Points, AWS Backup plans -- the stub forwards
to a moto_server process, where each account's Block Public Access is fully on (as in
bench_aws.py's ``acct block`` run: without it Config's missing ownership controls cost one live
read a bucket). One in ten buckets replicates to a bucket of its account listed before it.

At +0 calls are counted client-side (botocore ``before-call``); with ``--delay-ms`` the plugin
talks to the stub through ``latency_proxy.py`` and calls are counted from the proxy's request
log. Config calls are also counted at the stub. Not run by the tests.

    .venv/bin/python benchmarks/bench_aws_inventory.py --n 20000 --delay-ms 0 150
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import multiprocessing
import pathlib
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench_aws import Counter, classify, member_accounts, moto_process, set_account_block
from benchkit import Run, by_operation, in_child, latency_proxy, request_lines, table

REGIONS = ("ap-northeast-1", "us-east-1")
AGGREGATOR = "bench-aggregator"
PAGE = 100
_ACCOUNT_IN = re.compile(r"accountId = '(\d{12})'")


def names(account: str, per_account: int) -> list[str]:
    return [f"inv-{account[-4:]}-{i:06d}" for i in range(per_account)]


def item(account: str, name: str, i: int, captured: str) -> str:
    region = REGIONS[i % len(REGIONS)]
    dest = names(account, 1)[0] if i % 10 == 5 else None
    replication: dict[str, Any] = {"roleARN": None, "rules": {}}
    if dest:
        replication = {
            "roleARN": f"arn:aws:iam::{account}:role/replication",
            "rules": {
                "r0": {
                    "destinationConfig": {"bucketARN": f"arn:aws:s3:::{dest}"},
                    "prefix": "",
                    "status": "Enabled",
                }
            },
        }
    acl = {
        "grantSet": None,
        "owner": {"displayName": None, "id": "owner"},
        "grantList": [
            {"grantee": {"id": "owner", "displayName": None}, "permission": "FullControl"}
        ],
    }
    return json.dumps(
        {
            "resourceId": name,
            "resourceName": name,
            "accountId": account,
            "awsRegion": region,
            "configurationItemCaptureTime": captured,
            "configuration": {"name": name},
            "supplementaryConfiguration": {
                "AccessControlList": json.dumps(json.dumps(acl)),
                "BucketPolicy": {"policyText": None},
                "BucketLoggingConfiguration": {
                    "destinationBucketName": None,
                    "logFilePrefix": None,
                },
                "BucketTaggingConfiguration": {
                    "tagSets": [{"tags": {"data-classification": ["sensitive", "internal"][i % 2]}}]
                },
                "BucketReplicationConfiguration": replication,
                "ServerSideEncryptionConfiguration": {
                    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": {
                    "blockPublicAcls": True,
                    "ignorePublicAcls": True,
                    "blockPublicPolicy": True,
                    "restrictPublicBuckets": True,
                },
            },
        }
    )


def serve_stub(moto_url: str, n: int, count: int, conn: Any) -> None:
    """The stub (in its own process): Config Select answered, everything else sent to moto."""
    upstream = moto_url.removeprefix("http://")
    ids = member_accounts(count)
    per = n // count
    captured = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _select(self, request: dict[str, Any]) -> bytes:
            expression = request["Expression"]
            if "GROUP BY" in expression:  # the census: one row an account
                rows = [json.dumps({"accountId": a, "COUNT(*)": per}) for a in ids]
                return json.dumps({"Results": rows}).encode()
            account = _ACCOUNT_IN.search(expression)
            assert account is not None, expression
            start = int(request.get("NextToken") or 0)
            chosen = names(account[1], per)[start : start + PAGE]
            page: dict[str, Any] = {
                "Results": [
                    item(account[1], nm, start + i, captured) for i, nm in enumerate(chosen)
                ]
            }
            if start + PAGE < per:
                page["NextToken"] = str(start + PAGE)
            return json.dumps(page).encode()

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            target = self.headers.get("X-Amz-Target") or ""
            if target == "StarlingDoveService.SelectAggregateResourceConfig":
                with lock:
                    calls["SelectAggregateResourceConfig"] += 1
                answer = self._select(json.loads(body))
                self._reply(200, [("Content-Type", "application/x-amz-json-1.1")], answer)
                return
            forward = http.client.HTTPConnection(upstream, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            forward.request(self.command, self.path, body=body or None, headers=headers)
            response = forward.getresponse()
            data = response.read()
            forward.close()
            self._reply(response.status, response.getheaders(), data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    conn.send(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.recv()  # stop
    with lock:
        conn.send(dict(calls))
    server.shutdown()


@contextlib.contextmanager
def stub(moto_url: str, n: int, count: int) -> Iterator[tuple[str, dict[str, int]]]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_stub, args=(moto_url, n, count, child), daemon=True)
    proc.start()
    port = parent.recv()
    calls: dict[str, int] = {}
    try:
        yield f"http://127.0.0.1:{port}", calls
    finally:
        parent.send("stop")
        calls.update(parent.recv())
        proc.join(10)


def block_public_access(url: str, count: int) -> None:
    """Each account's Block Public Access fully on (moto: through each account's own role)."""
    for account in member_accounts(count):
        set_account_block(url, True, account)


Result = tuple[int, dict[str, int], float, int]  # buckets, calls by operation, seconds, notes


def run_inventory(url: str) -> Result:
    from residency_audit.model import Bucket
    from residency_audit_aws import AwsProvider

    counter = Counter()
    provider = AwsProvider.from_settings(
        {
            "profile": "bench",
            "endpoint_url": url,
            "source": "inventory",
            "aggregator": AGGREGATOR,
        },
        session_factory=counter,
    )
    provider.use_tag_keys(frozenset({"data-classification"}))
    start = time.perf_counter()
    count = fallbacks = 0
    for scope in provider.scopes():
        for found in provider.buckets(scope):
            if isinstance(found, Bucket):
                count += 1
            elif found.kind == "inventory-fallback":
                fallbacks += found.counts.get("buckets", 0)
    return count, dict(counter.by_operation), time.perf_counter() - start, fallbacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--delay-ms", type=float, nargs="+", default=[0.0, 150.0])
    args = parser.parse_args()
    from residency_audit_aws.testing import fake_profile

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-aws-inventory-"))
    runs: list[Run] = []
    with moto_process() as moto, fake_profile(tmp / "profile", "bench"):
        block_public_access(moto, args.accounts)
        log = tmp / "requests.log"
        for delay in args.delay_ms:
            with stub(moto, args.n, args.accounts) as (url, at_stub):
                start_line = len(request_lines(log))
                if delay:
                    with latency_proxy(url, delay, log) as proxied:
                        (count, client_ops, seconds, fell_back), rss = in_child(
                            run_inventory, proxied
                        )
                    ops = by_operation(request_lines(log, start_line), classify)
                else:
                    (count, client_ops, seconds, fell_back), rss = in_child(run_inventory, url)
                    ops = dict(collections.Counter(client_ops).most_common())
            runs.append(Run("inventory", delay, count, seconds, sum(ops.values()), rss, ops))
            print(
                f"  +{delay:g} ms: {count} buckets, {sum(ops.values())} calls "
                f"({at_stub.get('SelectAggregateResourceConfig', 0)} Select at the stub), "
                f"{seconds:.1f} s, peak RSS {rss:.0f} MiB, buckets with a fallback {fell_back}",
                flush=True,
            )
    print(table(f"AWS inventory source, N = {args.n}, {args.accounts} accounts", runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

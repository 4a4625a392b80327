"""What a scan costs the audited project, counted where the emulator received it: requests per
bucket by API method, and, at default settings, the reads in flight and the connections they use;
and what loading the plugin adds to every scan's start-up.

The targets: at most 1.2 requests per bucket, and default concurrency sized for
latency with the HTTP connection pool matched to it (a pool smaller than the workers opens and
drops a connection for every read beyond it). Timing is the benchmark's business
(``benchmarks/bench_gcp.py``), never asserted here.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from residency_audit.model import Bucket
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.settings import DEFAULT_MAX_WORKERS
from residency_audit_gcp.testing import (
    Traffic,
    bucket_resource,
    iam_policy,
    json_api_method,
    serve_emulator,
)

pytestmark = pytest.mark.emulator

BUDGET = 1.2  # requests per bucket, every read included


def _estate(n: int) -> list[dict[str, Any]]:
    kinds = [
        lambda name: bucket_resource(name, "ASIA-NORTHEAST1", pap="enforced"),
        lambda name: bucket_resource(name, "ASIA1", location_type="dual-region"),
        lambda name: bucket_resource(
            name, "US-CENTRAL1", kms_key="projects/k/locations/asia-east2/keyRings/r/cryptoKeys/k"
        ),
        lambda name: bucket_resource(
            name, "EU", location_type="multi-region", ubla=False, labels={"team": "x"}
        ),
    ]
    return [kinds[i % len(kinds)](f"budget-{i:04d}") for i in range(n)]


def _scan(url: str, **settings: Any) -> list[Bucket]:
    provider = GcpProvider.from_settings({"projects": ["proj-budget"], "endpoint": url, **settings})
    return [b for s in provider.scopes() for b in provider.buckets(s) if isinstance(b, Bucket)]


@pytest.mark.parametrize("page_size", [None, 50])
def test_a_scan_costs_one_iam_read_a_bucket_and_the_list_pages(
    tmp_path: Path, page_size: int | None
) -> None:
    estate = _estate(200)
    public = {b["name"]: iam_policy(("roles/storage.objectViewer", ["allUsers"])) for b in estate}
    traffic = Traffic()
    with serve_emulator(tmp_path, estate, public, traffic=traffic, list_page_size=page_size) as url:
        buckets = _scan(url)
    assert sorted(b.name for b in buckets) == [b["name"] for b in estate]
    ops = collections.Counter(json_api_method(line) for line in traffic.requests)
    pages = 200 // page_size if page_size else 1
    # and, a project, the lists of the services that copy a bucket (none holds anything here):
    # transfer jobs are listed twice, once for cross-bucket replication jobs
    copies = {"backendBuckets.list": 1, "transferJobs.list": 2, "reportConfigs.list": 1}
    assert ops == {"buckets.list": pages, "buckets.getIamPolicy": 200, **copies}
    assert len(traffic.requests) / len(buckets) <= BUDGET
    # every policy read is the one the user is shown: public through IAM, unless prevention is
    # enforced (every fourth bucket)
    verdicts = {b.name: b.public_access.verdict.value for b in buckets}
    assert verdicts == {
        b["name"]: "blocked" if i % 4 == 0 else "public" for i, b in enumerate(estate)
    }


def test_default_settings_keep_32_reads_in_flight_on_32_kept_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Each answer waits 250 ms, as over a network, so the workers overlap and every one of them
    # needs a connection at the same time; the connections are kept alive, as Cloud Storage does.
    assert DEFAULT_MAX_WORKERS == 32
    n = 4 * DEFAULT_MAX_WORKERS
    traffic = Traffic()
    with serve_emulator(tmp_path, _estate(n), traffic=traffic, keep_alive=True, hold=0.25) as url:
        buckets = _scan(url)
    assert len(buckets) == n
    assert traffic.peak_in_flight == DEFAULT_MAX_WORKERS
    # a pool matched to the workers: one connection each, none opened again for later reads,
    # and none dropped (urllib3 warns "Connection pool is full, discarding connection"); the
    # copy services' three lists go first, side by side on a session of their own (closed
    # before the IAM reads start): three more connections
    assert traffic.connections <= DEFAULT_MAX_WORKERS + 3
    assert len(traffic.requests) == n + 1 + 4
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_a_larger_max_workers_gets_a_pool_to_match(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workers = 48
    traffic = Traffic()
    with serve_emulator(
        tmp_path, _estate(2 * workers), traffic=traffic, keep_alive=True, hold=0.25
    ) as url:
        buckets = _scan(url, max_workers=workers)
    assert len(buckets) == 2 * workers
    assert traffic.peak_in_flight == workers
    assert traffic.connections <= workers + 3  # + the copy services' three
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_loading_the_plugin_leaves_resource_manager_for_organization_scans() -> None:
    # a third of the plugin's import time, paid by every scan's start-up if imported eagerly
    code = "import sys, residency_audit_gcp;print('google.cloud.resourcemanager_v3' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

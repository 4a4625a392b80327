"""Refusing any one read loses nothing: the property test for every request a full scan makes.

One organization scan of a rich estate (a Hong Kong bucket, a key held in Hong Kong, a dual-region
across a border, public buckets, sensitive and public labels, an unreachable bucket, two projects
in nested folders) runs against gcp-storage-emulator and the Resource Manager fake; its requests
are recorded. Then, for each request kind it sent and each fault -- denied (403), throttled (429)
and unavailable (503) on every attempt, so retries give up, and a stall past the client's timeout
-- the same scan runs with every such request failing. It must keep every (bucket, guideline item)
pair of the clean scan at the same or a worse severity, except where a place became unknown
(``residency_audit.testing.lost_under_fault``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from residency_audit.model import ScopeStatus
from residency_audit.results import ScanResult
from residency_audit.testing import lost_under_fault, scan_provider
from residency_audit_gcp.copies_testing import (
    CopyEstate,
    backend_bucket,
    report_config,
    transfer_job,
)
from residency_audit_gcp.permissions import request_name
from residency_audit_gcp.reads import READS
from residency_audit_gcp.testing import (
    FAULTS,
    ProjectTree,
    bucket_resource,
    iam_policy,
    serve_emulator,
    serve_resource_manager,
)

pytestmark = pytest.mark.emulator

KEY_HK = "projects/kms-proj/locations/asia-east2/keyRings/ring/cryptoKeys/bucket-key"
ROOT = "organizations/100"
TREE: ProjectTree = {
    ROOT: (
        [{"projectId": "proj-jp", "displayName": "Japan", "state": "ACTIVE"}],
        [{"name": "folders/200", "state": "ACTIVE"}],
    ),
    "folders/200": ([{"projectId": "proj-world", "displayName": "World", "state": "ACTIVE"}], []),
}
ESTATES = {
    "proj-jp": [
        bucket_resource(
            "tokyo", "ASIA-NORTHEAST1", pap="enforced", labels={"data-classification": "sensitive"}
        ),
        # copies made around buckets kept in Japan: by Cloud CDN, a transfer job, usage logs and
        # an inventory report, each of the last three to a Hong Kong bucket of another project
        bucket_resource("jp-cdn", "ASIA-NORTHEAST1"),
        bucket_resource("jp-sent", "ASIA-NORTHEAST1"),
        dict(bucket_resource("jp-logged", "ASIA-NORTHEAST1"), logging={"logBucket": "hk-logs"}),
        bucket_resource("jp-inventoried", "ASIA-NORTHEAST1"),
        bucket_resource("hongkong", "ASIA-EAST2", labels={"data-classification": "public"}),
        bucket_resource("cmek-hk-key", "ASIA-NORTHEAST1", kms_key=KEY_HK),
        bucket_resource(
            "jp-tw-dual",
            "ASIA",
            location_type="dual-region",
            data_locations=["ASIA-NORTHEAST1", "ASIA-EAST1"],
        ),
    ],
    "proj-world": [
        bucket_resource("public-iam", "US-EAST1", labels={"data-classification": "sensitive"}),
        bucket_resource(
            "public-acl", "EUROPE-WEST1", ubla=False, acl=[{"entity": "allUsers", "role": "READER"}]
        ),
        bucket_resource("asia-multi", "ASIA", location_type="multi-region"),
    ],
}
UNREACHABLE = {"proj-world": ["down-in-asia"]}  # listed by buckets.list, but not returned
# other projects' buckets that proj-jp's copies go to: buckets.get finds them, the list does not
ELSEWHERE = [
    bucket_resource(name, "ASIA-EAST2", project_number="999")
    for name in ("hk-archive", "hk-logs", "hk-reports")
]
COPIES = CopyEstate(
    backend_buckets={"proj-jp": [backend_bucket("proj-jp", "jp-static", "jp-cdn")]},
    transfer_jobs={"proj-jp": [transfer_job("proj-jp", 7, "jp-sent", sink="hk-archive")]},
    report_configs={
        "proj-jp": [
            report_config("proj-jp", "asia-northeast1", "r-1", "jp-inventoried", "hk-reports")
        ]
    },
)
POLICIES = {"public-iam": iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3)}
# What a full scan sends; the first test checks it is exactly what the clean scan sent.
REQUEST_KINDS = (
    "storage.buckets.list",
    "storage.buckets.getIamPolicy",
    "resourcemanager.projects.search",
    "resourcemanager.folders.search",
    "storage.buckets.get",
    "compute.backendBuckets.list",
    "storagetransfer.transferJobs.list",
    "storageinsights.reportConfigs.list",
)
CAUSE = {"denied": "403", "throttled": "429", "unavailable": "503", "stall": "ReadTimeout"}
TIMEOUT = 0.4  # seconds per attempt; a stall lasts longer
RETRY_DEADLINE = 0.8
# The clean scan, with no fault to wait out, gets time enough that a loaded machine does not
# time its reads out: a slow clean read would make the baseline itself unknown.
CLEAN_TIMEOUT = 10.0


@dataclass
class Estate:
    settings: dict[str, Any]
    workdir: Path
    fault: tuple[str, str] | None = None  # (request name, fault) to answer every such request with
    sent: set[str] | None = None  # request names the last scan sent

    def plan(self, method: str, path: str) -> str | None:
        name = request_name(method, urlsplit(path).path)
        if self.sent is not None and name is not None:
            self.sent.add(name)
        if self.fault is not None and name == self.fault[0]:
            return self.fault[1]
        return None

    def scan(self, fault: tuple[str, str] | None = None) -> tuple[ScanResult, set[str]]:
        self.fault, self.sent = fault, set()
        settings = self.settings
        if fault is None:
            settings = settings | {"timeout": CLEAN_TIMEOUT, "retry_deadline": 2 * CLEAN_TIMEOUT}
        try:
            return scan_provider("gcp", settings, self.workdir), self.sent
        finally:
            self.fault, self.sent = None, None


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    workdir = tmp_path_factory.mktemp("faults")
    state = Estate(settings={}, workdir=workdir)
    stall = TIMEOUT * 4
    with ExitStack() as stack:
        rm_url, _ = stack.enter_context(
            serve_resource_manager(TREE, faults=state.plan, stall=stall)
        )
        endpoints = {
            project: stack.enter_context(
                serve_emulator(
                    workdir / project,
                    buckets,
                    POLICIES,
                    faults=state.plan,
                    stall=stall,
                    unreachable=UNREACHABLE.get(project, ()),
                    copies=COPIES,
                    others=ELSEWHERE if project == "proj-jp" else (),
                )
            )
            for project, buckets in ESTATES.items()
        }
        state.settings = {
            "organization": ROOT,
            "resource_manager_endpoint": rm_url,
            "project_endpoints": endpoints,
            "max_workers": 4,
            "timeout": TIMEOUT,
            "retry_deadline": RETRY_DEADLINE,
        }
        yield state


@pytest.fixture(scope="module")
def clean(estate: Estate) -> tuple[ScanResult, set[str]]:
    return estate.scan()


def _pairs(result: ScanResult) -> set[tuple[str, str]]:
    return {
        (f.resource.name if f.resource else f.scope, item)
        for f in result.findings
        for item in f.guideline_items
    }


def test_the_clean_scan_is_rich_enough_to_lose_something(
    clean: tuple[ScanResult, set[str]],
) -> None:
    result, sent = clean
    status = {s.scope: s.status for s in result.inventory.scopes}
    assert status == {"proj-jp": ScopeStatus.COMPLETE, "proj-world": ScopeStatus.INCOMPLETE}
    assert sorted(b.name for b in result.inventory.buckets) == sorted(
        [b["name"] for buckets in ESTATES.values() for b in buckets] + ["down-in-asia"]
    )
    pairs = _pairs(result)
    assert {
        ("hongkong", "(2)-1"),
        ("hongkong", "(2)-2"),
        ("cmek-hk-key", "(2)-1"),
        ("jp-tw-dual", "(1)-3"),
        ("hongkong", "(1)-note"),
        ("public-iam", "(1)-2"),
        ("public-acl", "(1)-2"),
        ("proj-jp", "(2)-3"),
        ("down-in-asia", "(2)-1"),
        ("down-in-asia", "(1)-2"),
        ("jp-cdn", "(2)-1"),  # Cloud CDN may cache it in Hong Kong
        ("jp-sent", "(2)-1"),
        ("jp-logged", "(2)-1"),
        ("jp-inventoried", "(2)-1"),
    } <= pairs
    # a clean baseline: nothing is unknown but the bucket the listing names and buckets.get
    # cannot return (a slow read here would make every comparison below meaningless)
    assert {b.name: [g.field for g in b.gaps] for b in result.inventory.buckets if b.gaps} == {
        "down-in-asia": ["location"]
    }
    # no copy, so none of those findings, for the bucket nothing copies
    assert not {p for p in pairs if p[0] == "tokyo" and p[1] == "(2)-1"}
    # every request kind of a full scan was sent (the parametrisation below), each with a row in
    # the reads table
    assert sent == set(REQUEST_KINDS)
    assert sent <= set(READS)


def _ancestors(project: str) -> list[str]:
    """The folders and the organization above ``project`` in TREE, nearest first."""
    parents = {
        item["projectId"]: parent for parent, node in TREE.items() if node for item in node[0]
    } | {item["name"]: parent for parent, node in TREE.items() if node for item in node[1]}
    chain = []
    while project in parents:
        project = parents[project]
        chain.append(project)
    return chain


def _as_seen_by(faulted: ScanResult, clean: ScanResult) -> ScanResult:
    """The clean findings, each of a project the faulted scan could not name moved to the nearest
    ancestor that the faulted scan reports FAILED: that scope's findings must then cover them."""
    named = {s.scope for s in faulted.inventory.scopes}
    failed = {s.scope for s in faulted.inventory.scopes if s.status is ScopeStatus.FAILED}
    moved = []
    for f in clean.findings:
        if f.scope not in named:
            cover = next((a for a in _ancestors(f.scope) if a in failed), None)
            assert cover is not None, f"project {f.scope} vanished with no failed scope above it"
            f = f.model_copy(update={"scope": cover})
        moved.append(f)
    return clean.model_copy(update={"findings": tuple(moved)})


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("request_kind", REQUEST_KINDS)
def test_a_failing_read_loses_no_bucket_item_pair(
    estate: Estate, clean: tuple[ScanResult, set[str]], request_kind: str, fault: str
) -> None:
    clean_result, _ = clean
    started = time.monotonic()
    faulted, sent = estate.scan((request_kind, fault))
    assert request_kind in sent
    assert lost_under_fault(_as_seen_by(faulted, clean_result), faulted) == []
    # the scan says what went wrong: a failed or incomplete scope, or a gap with its reason
    gaps = [g for b in faulted.inventory.buckets for g in b.gaps]
    assert all(g.reason.strip() for g in gaps)
    assert all(s.error for s in faulted.inventory.scopes if s.status is ScopeStatus.FAILED)
    # ... and why: the 403, the 429 that retries gave up on, the read timeout
    said = [f"{g.error_code}: {g.reason}" for g in gaps] + [
        s.error or "" for s in faulted.inventory.scopes
    ]
    # (a copy's destination that could not be read is a location saying why)
    said += [
        loc.unknown_reason
        for b in faulted.inventory.buckets
        for loc in b.locations
        if loc.unknown_reason
    ]
    assert any(CAUSE[fault] in text for text in said), said
    assert time.monotonic() - started < 15
